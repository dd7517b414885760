import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lambdas/adapters/logger';
import { track } from '../core/realtime/fixtures';

const personalize = mockClient(PersonalizeEventsClient);
const sqs = mockClient(SQSClient);
const ssm = mockClient(SSMClient);
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/111122223333/relay-dead-letters';
let handler: typeof import('../../lambdas/handlers/relay-events').handler;

beforeAll(async () => {
  vi.stubEnv('EVENT_TYPES', JSON.stringify({ 'Product Viewed': 'View', 'Order Completed': 'Purchase' }));
  vi.stubEnv('ITEM_ID_PATH', 'properties.product_id');
  vi.stubEnv('EVENT_VALUE', 'true');
  vi.stubEnv('TRACKING_ID_PARAMETER', '/cdp/personalize/tracking-id');
  vi.stubEnv('DEAD_LETTER_QUEUE_URL', DLQ);
  vi.stubEnv('MIN_CALL_INTERVAL_MS', '0');
  ({ handler } = await import('../../lambdas/handlers/relay-events'));
});

beforeEach(() => {
  personalize.reset();
  sqs.reset();
  ssm.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'tracking-abc' } });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
});

function sqsEvent(...records: [string, Record<string, unknown>][]): SQSEvent {
  return {
    Records: records.map(([messageId, detail]) => ({
      messageId,
      body: JSON.stringify(track({ messageId, ...detail })),
    })),
  } as SQSEvent;
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('the relay function', () => {
  it('sends a session in one PutEvents call with the tracking ID from SSM', async () => {
    personalize.on(PutEventsCommand).resolves({});

    const response = await handler(sqsEvent(['m1', {}], ['m2', { properties: { product_id: 'item-2' } }]));

    expect(response).toEqual({ batchItemFailures: [] });
    const calls = personalize.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({
      trackingId: 'tracking-abc',
      sessionId: 'anon-1',
      userId: 'user-1',
      eventList: [
        { eventType: 'View', itemId: 'item-1', eventId: 'm1', sentAt: new Date('2026-11-30T10:00:00Z') },
        { eventType: 'View', itemId: 'item-2', eventId: 'm2' },
      ],
    });
  });

  it('returns only the messages of the session whose call failed', async () => {
    personalize
      .on(PutEventsCommand, { sessionId: 'anon-2' })
      .rejects(
        Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
      )
      .on(PutEventsCommand, { sessionId: 'anon-1' })
      .resolves({});

    const response = await handler(
      sqsEvent(['m1', {}], ['m2', { anonymousId: 'anon-2' }], ['m3', { anonymousId: 'anon-2' }]),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
  });

  it('retries a throttled call and then succeeds', async () => {
    personalize.on(PutEventsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});

    const response = await handler(sqsEvent(['m1', {}]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(personalize.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(logger.info).toHaveBeenCalledWith('relayed', expect.objectContaining({ retries: 2, sent: 1 }));
  });

  it('puts an unknown event name on the dead-letter queue with its reason, and does not retry it', async () => {
    personalize.on(PutEventsCommand).resolves({});

    const response = await handler(sqsEvent(['m1', {}], ['m2', { event: 'Coupon Applied' }]));

    expect(response).toEqual({ batchItemFailures: [] });
    const sent = sqs.commandCalls(SendMessageBatchCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.args[0].input.QueueUrl).toBe(DLQ);
    expect(sent[0]!.args[0].input.Entries).toEqual([
      {
        Id: '0',
        MessageBody: JSON.stringify(track({ messageId: 'm2', event: 'Coupon Applied' })),
        MessageAttributes: {
          reason: {
            DataType: 'String',
            StringValue: 'unknown event name "Coupon Applied": not in the event type map',
          },
        },
      },
    ]);
    expect(logger.info).toHaveBeenCalledWith('relayed', expect.objectContaining({ unsendable: 1 }));
  });

  it('returns an unsendable message to the queue when the dead-letter queue refuses it', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'KMS.AccessDenied', SenderFault: true }] });

    const response = await handler(sqsEvent(['m9', { properties: {} }]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm9' }]);
    expect(logger.info).toHaveBeenCalledWith('relayed', expect.objectContaining({ unsendable: 0 }));
  });

  it('logs counts and never a customer ID', async () => {
    personalize.on(PutEventsCommand).resolves({});

    await handler(sqsEvent(['m1', {}]));

    expect(JSON.stringify(vi.mocked(logger.info).mock.calls)).not.toMatch(/user-1|anon-1|item-1/);
  });
});

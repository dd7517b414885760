import { CustomerProfilesClient, PutProfileObjectCommand } from '@aws-sdk/client-customer-profiles';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lambdas/adapters/logger';
import type { ChangeBatch } from '../../lambdas/core/ports/change-queue';

const profiles = mockClient(CustomerProfilesClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/111122223333/connect-dead-letters';
let handler: typeof import('../../lambdas/handlers/connect-writer').handler;

beforeAll(async () => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('TRUSTED_BUCKET', 'trusted');
  vi.stubEnv('CONNECT_STATE_PREFIX', 'connect/');
  vi.stubEnv('DOMAIN_NAME', 'cdp-domain');
  vi.stubEnv('ALLOW_PROFILE_CREATION', 'false');
  vi.stubEnv('DEAD_LETTER_QUEUE_URL', DLQ);
  vi.stubEnv('WRITES_PER_SECOND', '1000');
  vi.stubEnv('MAX_RECEIVES', '5');
  ({ handler } = await import('../../lambdas/handlers/connect-writer'));
});

beforeEach(() => {
  profiles.reset();
  s3.reset();
  sqs.reset();
  s3.on(PutObjectCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  // Jitter of 0: the back-off waits 0 ms, so the test does not sleep.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => vi.restoreAllMocks());

const batch: ChangeBatch = {
  run: 'exec-1',
  audienceKey: 'genres-action',
  batch: 3,
  changes: [
    { userId: 'u-1', kind: 'enter' },
    { userId: 'u-2', kind: 'leave' },
  ],
};

function sqsEvent(body: unknown, receiveCount = 1): SQSEvent {
  return {
    Records: [
      {
        messageId: 'm-1',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        attributes: { ApproximateReceiveCount: String(receiveCount) },
      },
    ],
  } as unknown as SQSEvent;
}

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 429 },
  });
const notFound = () =>
  Object.assign(new Error('Profile not found'), {
    name: 'BadRequestException',
    $metadata: { httpStatusCode: 400 },
  });

function receipt() {
  const puts = s3.commandCalls(PutObjectCommand);
  expect(puts).toHaveLength(1);
  const input = puts[0]!.args[0].input;
  return { key: input.Key, body: JSON.parse(String(input.Body)) };
}

describe('the Connect writer function', () => {
  it('writes each change with one PutProfileObject into the audience object type and leaves a receipt', async () => {
    profiles.on(PutProfileObjectCommand).resolves({ ProfileObjectUniqueKey: 'k' });

    const response = await handler(sqsEvent(batch));

    expect(response.batchItemFailures).toEqual([]);
    const objects = profiles.commandCalls(PutProfileObjectCommand).map((c) => c.args[0].input);
    expect(objects).toEqual([
      {
        DomainName: 'cdp-domain',
        ObjectTypeName: 'cdp_aud_genres-action',
        Object: JSON.stringify({ user_id: 'u-1', membership: 'IN' }),
      },
      {
        DomainName: 'cdp-domain',
        ObjectTypeName: 'cdp_aud_genres-action',
        Object: JSON.stringify({ user_id: 'u-2', membership: 'OUT' }),
      },
    ]);
    const { key, body } = receipt();
    expect(key).toBe('connect/runs/exec-1/genres-action/00000003.json');
    expect(body).toMatchObject({ batch: 3, writes: { applied: 2, failed: 0, throttled: 0 }, failures: [] });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('backs off and retries a throttled write until it lands, and counts the throttles', async () => {
    profiles
      .on(PutProfileObjectCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ ProfileObjectUniqueKey: 'k' });

    const response = await handler(sqsEvent(batch));

    expect(response.batchItemFailures).toEqual([]);
    expect(profiles.commandCalls(PutProfileObjectCommand)).toHaveLength(4);
    expect(receipt().body.writes).toEqual({ applied: 2, failed: 0, throttled: 2, attempts: 4 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sends a change that keeps being throttled to the dead-letter queue with its user ID and the error', async () => {
    profiles.on(PutProfileObjectCommand).callsFake(async (input: { Object: string }) => {
      if (input.Object.includes('u-1')) throw throttled();
      return { ProfileObjectUniqueKey: 'k' };
    });

    await handler(sqsEvent(batch));

    // 8 attempts for u-1, one for u-2.
    expect(profiles.commandCalls(PutProfileObjectCommand)).toHaveLength(9);
    const sends = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.QueueUrl).toBe(DLQ);
    const [entry] = sends[0]!.Entries!;
    expect(JSON.parse(entry!.MessageBody!)).toMatchObject({
      run: 'exec-1',
      audienceKey: 'genres-action',
      userId: 'u-1',
      kind: 'enter',
      failure: 'throttled',
      attempts: 8,
    });
    expect(entry!.MessageAttributes!.reason!.StringValue).toMatch(/ThrottlingException: Rate exceeded/);
    expect(receipt().body.writes).toMatchObject({ applied: 1, failed: 1, throttled: 8 });
  });

  it('does not retry a write the service rejects (unknown profile) and dead-letters it at once', async () => {
    profiles.on(PutProfileObjectCommand).rejects(notFound());

    await handler(sqsEvent(batch));

    expect(profiles.commandCalls(PutProfileObjectCommand)).toHaveLength(2);
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries!;
    expect(entries.map((e) => JSON.parse(e.MessageBody!).userId)).toEqual(['u-1', 'u-2']);
    expect(entries.map((e) => JSON.parse(e.MessageBody!).failure)).toEqual(['rejected', 'rejected']);
  });

  it('returns a batch to the queue when its receipt cannot be written, before its last receive', async () => {
    profiles.on(PutProfileObjectCommand).resolves({ ProfileObjectUniqueKey: 'k' });
    s3.on(PutObjectCommand).rejects(new Error('S3 unavailable'));

    const response = await handler(sqsEvent(batch, 2));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });

  it('on its last receive, dead-letters a batch that cannot be finished, with the error, and leaves a failed receipt', async () => {
    profiles.on(PutProfileObjectCommand).resolves({ ProfileObjectUniqueKey: 'k' });
    s3.on(PutObjectCommand).rejectsOnce(new Error('S3 unavailable')).resolves({});

    const response = await handler(sqsEvent(batch, 5));

    expect(response.batchItemFailures).toEqual([]);
    const letters = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!);
    expect(letters.map((e) => JSON.parse(e.MessageBody!).userId)).toEqual(['u-1', 'u-2']);
    expect(letters[0]!.MessageAttributes!.reason!.StringValue).toMatch(
      /gave up after 5 receives: S3 unavailable/,
    );
    const last = s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input;
    expect(JSON.parse(String(last.Body)).writes).toMatchObject({ applied: 0, failed: 2 });
  });

  it('dead-letters a message that is not a change batch, with the reason, without writing anything', async () => {
    const response = await handler(sqsEvent('{"not":"a batch"}'));

    expect(response.batchItemFailures).toEqual([]);
    expect(profiles.commandCalls(PutProfileObjectCommand)).toHaveLength(0);
    const entry = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry.MessageBody).toBe('{"not":"a batch"}');
    expect(entry.MessageAttributes!.reason!.StringValue).toMatch(/not a change batch/);
  });
});

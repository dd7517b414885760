import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestExecutionName } from '../../lambdas/core/ingest/execution-names';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:test-audiences-ingestion';

const objectCreated = (key: string, etag: string) => ({
  version: '0',
  id: 'c9888434-815d-c6f4-9fc2-4dd7bdeccaaf',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  time: '2026-12-02T13:09:50Z',
  region: 'eu-west-1',
  detail: {
    version: '0',
    bucket: { name: 'landing-b' },
    object: { key, size: 1024, etag, 'version-id': 'v1', sequencer: '0064D3901D00059242' },
    reason: 'PutObject',
  },
});

beforeEach(() => {
  sfn.reset();
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('STATE_MACHINE_ARN', ARN);
});

describe('start-ingest handler', () => {
  it('starts the ingest workflow under the name of key and ETag, with the ingest date of the event', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const { handler } = await import('../../lambdas/handlers/start-ingest');

    const result = await handler(objectCreated('crm/customers.csv', '4af981f98d22a0b9979da24b259e5e42-12'));

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.stateMachineArn).toBe(ARN);
    expect(input.name).toBe(ingestExecutionName('crm/customers.csv', '4af981f98d22a0b9979da24b259e5e42-12'));
    expect(JSON.parse(input.input!)).toEqual({
      source: { bucket: 'landing-b', key: 'crm/customers.csv' },
      etag: '4af981f98d22a0b9979da24b259e5e42-12',
      ingestDate: '2026-12-02',
    });
    expect(result).toEqual({ execution: input.name, result: 'started' });
  });

  it('treats a re-delivered event (the name is taken) as done, not as an error to retry', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const { handler } = await import('../../lambdas/handlers/start-ingest');

    const result = await handler(objectCreated('crm/customers.csv', 'abc'));

    expect(result.result).toBe('already-started');
  });

  it('lets any other failure through, so EventBridge retries and then dead-letters the event', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const { handler } = await import('../../lambdas/handlers/start-ingest');

    await expect(handler(objectCreated('crm/customers.csv', 'abc'))).rejects.toThrow('Rate exceeded');
  });

  it('refuses an event without an ETag instead of starting a run it could not deduplicate', async () => {
    const { handler } = await import('../../lambdas/handlers/start-ingest');
    const event = objectCreated('crm/customers.csv', 'abc');
    delete (event.detail.object as Partial<typeof event.detail.object>).etag;

    await expect(handler(event)).rejects.toThrow();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

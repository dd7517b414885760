import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestExecutionName } from '../../lambdas/core/ingest/execution-names';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:test-audiences-privacy';
const objectCreated = (key: string, etag: string) => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: 'landing-b' }, object: { key, size: 40, etag } },
});

beforeEach(() => {
  sfn.reset();
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('STATE_MACHINE_ARN', ARN);
});

describe('start-privacy handler', () => {
  it('starts the privacy workflow once per request file, named from key and ETag', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${ARN}:x`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const { handler } = await import('../../lambdas/handlers/start-privacy');

    const first = await handler(objectCreated('privacy/requests/r1.csv', 'e1'));
    const again = await handler(objectCreated('privacy/requests/r1.csv', 'e1'));

    const name = ingestExecutionName('privacy/requests/r1.csv', 'e1');
    expect(first).toEqual({ execution: name, result: 'started' });
    expect(again).toEqual({ execution: name, result: 'already-started' });
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).toEqual({
      key: 'privacy/requests/r1.csv',
    });
  });

  it('refuses an object outside privacy/requests/', async () => {
    const { handler } = await import('../../lambdas/handlers/start-privacy');

    await expect(handler(objectCreated('crm/customers.csv', 'e1'))).rejects.toThrow();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:test-audiences-identity';

const datasetIngested = (time: string, dataset = 'crm/customers') => ({
  'detail-type': 'Dataset Ingested',
  source: 'cdp.audiences',
  time,
  detail: { dataset },
});

beforeEach(() => {
  sfn.reset();
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('STATE_MACHINE_ARN', ARN);
  vi.stubEnv('IDENTITY_WINDOW_MINUTES', '5');
});

describe('start-identity handler', () => {
  it('starts files ingested within one window under one execution name, which waits for the window to close', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${ARN}:x`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const { handler } = await import('../../lambdas/handlers/start-identity');

    const first = await handler(datasetIngested('2026-12-02T13:21:00Z'));
    const second = await handler(datasetIngested('2026-12-02T13:24:30Z', 'store/sales'));

    expect(first).toEqual({ execution: 'identity-2026-12-02T13-20', result: 'started' });
    expect(second).toEqual({ execution: 'identity-2026-12-02T13-20', result: 'already-started' });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toEqual({ name: 'identity-2026-12-02T13-20', runAfter: '2026-12-02T13:25:30Z' });
  });
});

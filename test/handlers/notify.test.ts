import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const sns = mockClient(SNSClient);

describe('notify handler', () => {
  beforeEach(() => {
    sns.reset();
    vi.resetModules();
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:eu-west-1:111122223333:cdp');
  });

  it('publishes the formatted email to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { handler } = await import('../../lambdas/handlers/notify');

    await handler({
      'detail-type': 'Workflow Failed',
      detail: { workflow: 'Activation', reason: 'Pinpoint import limit reached' },
      time: '2026-11-23T10:00:00Z',
      region: 'eu-west-1',
    } as never);

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe('arn:aws:sns:eu-west-1:111122223333:cdp');
    expect(input?.Subject).toBe('Activation failed');
    expect(input?.Message).toContain('Reason: Pinpoint import limit reached');
  });

  it('fails loudly when SNS refuses, so EventBridge retries and then dead-letters the event', async () => {
    sns.on(PublishCommand).rejects(new Error('KMS key disabled'));
    const { handler } = await import('../../lambdas/handlers/notify');

    await expect(
      handler({
        'detail-type': 'Workflow Failed',
        detail: { workflow: 'A', reason: 'r' },
        time: 't',
        region: 'r',
      } as never),
    ).rejects.toThrow('KMS key disabled');
  });
});

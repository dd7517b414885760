import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';
import { allowedPairs } from './iam-statements';

describe('IdentityResolution', () => {
  const { template } = buildApp();

  it('starts on Dataset Ingested of the identity sources only, and not on a re-delivered file', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^EventBus') },
      EventPattern: {
        source: ['cdp.audiences'],
        'detail-type': ['Dataset Ingested'],
        detail: { dataset: ['crm/customers', 'store/sales', 'web/events'], alreadyIngested: [false] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IdentityStart'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('runs one identity resolution at a time, so two runs never write the identity tables at once', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TRUSTED_BUCKET: Match.anyValue() }) },
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      Timeout: 900,
    });
  });

  it('lets the resolve function read only the three sources and write only trusted/identity/', () => {
    const pairs = allowedPairs(template, 'IdentityResolveRole');

    expect(pairs.filter((p) => p.startsWith('s3:PutObject'))).toEqual([
      's3:PutObject DataLakeTrusted/trusted/identity/*',
    ]);
    expect(pairs.filter((p) => p.startsWith('s3:GetObject')).sort()).toEqual([
      's3:GetObject DataLakeTrusted/trusted/crm/customers/*',
      's3:GetObject DataLakeTrusted/trusted/identity/*',
      's3:GetObject DataLakeTrusted/trusted/store/sales/*',
      's3:GetObject DataLakeTrusted/trusted/web/events/*',
    ]);
    expect(pairs.some((p) => p.includes('DataLakeLanding') || p.includes('DataLakeQuarantine'))).toBe(false);
  });

  it('lets the workflow publish only on the project bus and the start function start only its workflow', () => {
    expect(allowedPairs(template, 'IdentityWorkflowRole').filter((p) => p.startsWith('events:'))).toEqual([
      'events:PutEvents EventBus',
    ]);
    expect(allowedPairs(template, 'IdentityStartRole').filter((p) => !p.startsWith('logs:'))).toEqual([
      // Where an event goes that the function failed on after its retries.
      'sqs:SendMessage NotificationsDeadLetters',
      'states:StartExecution IdentityWorkflow',
    ]);
  });
});

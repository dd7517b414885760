import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';
import { allowedPairs } from './iam-statements';

describe('Ingestion', () => {
  const { template } = buildApp({ maxBadShare: '0.1', phoneRegion: 'GB' });

  it('starts on S3 Object Created in the dataset folders of the landing bucket, on the default bus, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^DataLakeLanding') }] },
          object: {
            key: [
              { prefix: 'crm/' },
              { prefix: 'store/' },
              { prefix: 'web/' },
              { prefix: 'pinpoint/' },
              // training.json in the same folder starts training, not ingestion.
              { wildcard: 'personalize/*.csv' },
            ],
          },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionStart'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('lets EventBridge invoke the start function only from that rule', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionStart'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionLandingObjectCreated'), 'Arn'] },
    });
  });

  it('lets the start function start the ingestion workflow and nothing else', () => {
    const pairs = allowedPairs(template, 'IngestionStartRole').filter((p) => !p.startsWith('logs:'));

    expect(pairs).toEqual([
      // Where an event goes that the function failed on after its retries.
      'sqs:SendMessage NotificationsDeadLetters',
      'states:StartExecution IngestionWorkflow',
    ]);
  });

  it.each(['IngestionIngestRole', 'IngestionIngestRangeRole'])(
    'lets %s read only the dataset folders of landing, and write only dataset outputs, the ledger and quarantine',
    (roleName) => {
      const pairs = allowedPairs(template, roleName);

      expect(pairs.filter((p) => p.includes('DataLakeLanding')).sort()).toEqual([
        's3:GetObject DataLakeLanding/crm/*',
        's3:GetObject DataLakeLanding/personalize/*',
        's3:GetObject DataLakeLanding/pinpoint/*',
        's3:GetObject DataLakeLanding/store/*',
        's3:GetObject DataLakeLanding/web/*',
      ]);
      expect(pairs.filter((p) => p.startsWith('s3:PutObject')).sort()).toEqual([
        's3:PutObject DataLakeQuarantine/quarantine/*',
        's3:PutObject DataLakeTrusted/trusted/_ingested/*',
        's3:PutObject DataLakeTrusted/trusted/crm/customers/*',
        's3:PutObject DataLakeTrusted/trusted/personalize/*',
        's3:PutObject DataLakeTrusted/trusted/pinpoint/endpoints/*',
        's3:PutObject DataLakeTrusted/trusted/store/sales/*',
        's3:PutObject DataLakeTrusted/trusted/web/events/*',
        's3:PutObject DataLakeTrusted/trusted/web/orders/*',
      ]);
      expect(pairs.filter((p) => p.startsWith('kms:')).sort()).toEqual([
        'kms:Decrypt DataLakeKey',
        'kms:GenerateDataKey DataLakeKey',
      ]);
      expect(pairs.filter((p) => p.startsWith('s3:ListBucket')).sort()).toEqual(
        // The merge step asks whether each range's quarantine part exists; trusted twice: the
        // ledger, and the suppression list (privacy/suppressed/).
        roleName === 'IngestionIngestRole'
          ? ['s3:ListBucket DataLakeTrusted', 's3:ListBucket DataLakeTrusted']
          : [
              's3:ListBucket DataLakeQuarantine',
              's3:ListBucket DataLakeTrusted',
              's3:ListBucket DataLakeTrusted',
            ],
      );
      expect(pairs.some((p) => /\s\*$|s3:\*|events:|Delete/.test(p))).toBe(false);
    },
  );

  it('ingests a large file in ranges with two Distributed Maps over the planned ranges, each range by the range function', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const [, machine] = Object.entries(machines).find(([id]) => id.startsWith('IngestionWorkflow'))!;
    const body = JSON.stringify(machine.Properties.DefinitionString);
    for (const map of ['Check each range', 'Write each range']) {
      expect(body).toContain(`\\"${map}\\":{\\"Type\\":\\"Map\\"`);
    }
    expect(body.match(/\\"Mode\\":\\"DISTRIBUTED\\"/g)).toHaveLength(2);
    expect(body.match(/\\"ItemsPath\\":\\"\$\.plan\.ranges\\"/g)).toHaveLength(2);
    expect(body.match(/\\"MaxConcurrency\\":20/g)).toHaveLength(2);
    // The workflow may start and stop its own map runs, and nothing else's.
    const pairs = allowedPairs(template, 'IngestionWorkflowRole');
    expect(pairs.filter((p) => p.startsWith('states:')).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^states:StartExecution /)]),
    );
  });

  it('passes the split threshold and the range size to the range function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SPLIT_ABOVE_BYTES: '2000000000',
          RANGE_BYTES: '1000000000',
          MAX_BAD_SHARE: '0.1',
        }),
      },
      Timeout: 900,
    });
  });

  it('lets the workflow invoke only the ingest functions and publish only on the project bus', () => {
    const pairs = allowedPairs(template, 'IngestionWorkflowRole');

    expect(pairs.filter((p) => p.startsWith('events:'))).toEqual(['events:PutEvents EventBus']);
    expect(pairs.filter((p) => p.startsWith('lambda:')).sort()).toEqual([
      'lambda:InvokeFunction IngestionIngest',
      'lambda:InvokeFunction IngestionIngest:*',
      'lambda:InvokeFunction IngestionIngestRange',
      'lambda:InvokeFunction IngestionIngestRange:*',
    ]);
    expect(pairs.some((p) => p.startsWith('s3:'))).toBe(false);
  });

  it('passes the bad-row threshold and the phone region from the config to the ingest function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LANDING_BUCKET: { Ref: Match.stringLikeRegexp('^DataLakeLanding') },
          MAX_BAD_SHARE: '0.1',
          PHONE_REGION: 'GB',
        }),
      },
      Timeout: 900,
    });
  });

  it('alarms on failed ingestion executions into the notifications topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'An ingestion workflow failed',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
  });
});

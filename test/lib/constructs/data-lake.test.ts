import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';

const zoneBuckets = (template: ReturnType<typeof buildApp>['template']) =>
  Object.values(
    template.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      },
    }),
  );

describe('DataLake', () => {
  it('creates three KMS-encrypted zones and one access-log bucket', () => {
    const { template } = buildApp();

    template.resourceCountIs('AWS::S3::Bucket', 4);
    expect(zoneBuckets(template)).toHaveLength(3);
  });

  it('encrypts every zone with one customer-managed key that rotates', () => {
    const { template } = buildApp();

    template.resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true }, 2);
    const keyRefs = new Set(
      zoneBuckets(template).map((b) =>
        JSON.stringify(
          b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
            .KMSMasterKeyID,
        ),
      ),
    );
    expect(keyRefs.size).toBe(1);
  });

  it('blocks all public access and enforces bucket-owner ownership on every bucket', () => {
    const { template } = buildApp();

    template.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
      4,
    );
  });

  it('denies every request that is not over TLS 1.2 or newer on every bucket', () => {
    const { template } = buildApp();

    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      const statements = policy.Properties.PolicyDocument.Statement as Record<string, unknown>[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      );
    }
  });

  it('sends object events of the three zones to EventBridge without a custom resource', () => {
    const { template } = buildApp();

    template.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } },
      3,
    );
    expect(template.findResources('Custom::S3BucketNotifications')).toEqual({});
  });

  it('expires raw uploads after the configured retention and keeps them versioned', () => {
    const { template } = buildApp({ landingRetentionDays: 14 });

    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-raw-uploads', ExpirationInDays: 14, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('expires audience files and kept Segment batches after the configured days, and leaves the quarantine rule alone', () => {
    // Prepare, Act
    const byDefault = buildApp().template;
    const configured = buildApp({ outputRetentionDays: '45' }).template;
    const rulesOf = (template: typeof byDefault, bucket: RegExp) =>
      Object.entries(template.findResources('AWS::S3::Bucket')).find(([id]) => bucket.test(id))![1].Properties
        .LifecycleConfiguration.Rules;

    // Assess
    for (const [template, days] of [
      [byDefault, 90],
      [configured, 45],
    ] as const) {
      expect(rulesOf(template, /^DataLakeTrusted/)).toEqual(
        expect.arrayContaining([
          { Id: 'expire-audiences', Prefix: 'audiences/', ExpirationInDays: days, Status: 'Enabled' },
          { Id: 'expire-failed', Prefix: 'failed/', ExpirationInDays: days, Status: 'Enabled' },
        ]),
      );
      expect(rulesOf(template, /^DataLakeQuarantine/)).toContainEqual({
        Id: 'expire-rejected-rows',
        ExpirationInDays: 90,
        Status: 'Enabled',
      });
    }
  });

  it('lets Personalize use the key and read the segment queries and write the segment output, for this account only', () => {
    // Prepare
    const { template } = buildApp();
    const ours = {
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:personalize:eu-west-1:111122223333:*' },
    };

    // Act
    const trustedPolicy = Object.values(
      template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: Match.stringLikeRegexp('^DataLakeTrusted') } },
      }),
    )[0]!;
    const personalize = trustedPolicy.Properties.PolicyDocument.Statement.filter(
      (s: { Principal: unknown }) => JSON.stringify(s.Principal).includes('personalize.amazonaws.com'),
    );

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('data lake'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'personalize.amazonaws.com' },
            Action: [
              'kms:CreateGrant',
              'kms:Decrypt',
              'kms:DescribeKey',
              'kms:GenerateDataKey',
              'kms:ListGrants',
            ],
            Condition: ours,
          }),
        ]),
      },
    });
    const byAction = Object.fromEntries(
      personalize.map((s: { Action: string; Resource: unknown; Condition: unknown }) => [s.Action, s]),
    );
    expect(Object.keys(byAction).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(JSON.stringify(byAction['s3:GetObject'].Resource)).toContain('/segment-queries/*');
    expect(JSON.stringify(byAction['s3:PutObject'].Resource)).toContain('/segments/*');
    for (const statement of personalize) expect(statement.Condition).toMatchObject(ours);
  });

  it('logs server access of every zone into the access-log bucket', () => {
    const { template } = buildApp();

    for (const bucket of zoneBuckets(template)) {
      expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: expect.stringMatching(/^DataLakeAccessLogs/),
      });
    }
  });

  it('lets S3 logging write each zone’s access logs, for this account and that zone only, past the SSL-only Deny', () => {
    // Prepare
    const { template } = buildApp();
    const logBucket = Object.entries(template.findResources('AWS::S3::Bucket')).find(([id]) =>
      id.startsWith('DataLakeAccessLogs'),
    )!;

    // Act
    const policy = Object.values(
      template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: logBucket[0] } },
      }),
    )[0]!;
    const allows = policy.Properties.PolicyDocument.Statement.filter(
      (s: { Effect: string }) => s.Effect === 'Allow',
    );

    // Assess
    // SSE-S3, not the zones' KMS key: S3 access logging cannot deliver into an SSE-KMS bucket.
    expect(
      logBucket[1].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]
        .ServerSideEncryptionByDefault,
    ).toEqual({ SSEAlgorithm: 'AES256' });
    expect(allows).toHaveLength(3);
    for (const allow of allows) {
      expect(allow).toMatchObject({
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::GetAtt': [expect.stringMatching(/^DataLake(Landing|Trusted|Quarantine)/), 'Arn'],
            },
          },
        },
      });
    }
  });

  it('retains buckets and key by default and destroys them only when asked', () => {
    const retained = buildApp().template;
    const destroyed = buildApp({ removalPolicy: 'destroy' }).template;

    retained.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    retained.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    destroyed.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });
});

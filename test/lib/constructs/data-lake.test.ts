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

  it('logs server access of every zone into the access-log bucket', () => {
    const { template } = buildApp();

    for (const bucket of zoneBuckets(template)) {
      expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: expect.stringMatching(/^DataLakeAccessLogs/),
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

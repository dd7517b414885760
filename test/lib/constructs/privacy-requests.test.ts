import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { definitionOf } from '../../workflows/definition';
import { buildApp } from '../synth';
import { allowedPairs } from './iam-statements';

let template: Template;
beforeAll(() => {
  template = buildApp().template;
});

describe('PrivacyRequests', () => {
  it('starts on a request file under privacy/requests/ of the landing bucket', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^DataLakeLanding') }] },
          object: { key: [{ prefix: 'privacy/requests/' }] },
        },
      },
    });
  });

  it('generates a 64-character hex salt in Secrets Manager, encrypted with the lake key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataLakeKey'), 'Arn'] },
      GenerateSecretString: Match.objectLike({
        PasswordLength: 64,
        ExcludePunctuation: true,
        ExcludeCharacters: Match.stringLikeRegexp('^ghijklmnopqrstuvwxyzABC'),
      }),
    });
  });

  it('bounds a request to 25 days and hands the lake Lambda the salt secret, not its value', () => {
    expect(definitionOf(template, 'PrivacyWorkflow').TimeoutSeconds).toBe(25 * 24 * 3600);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PRIVACY_SALT_SECRET: { Ref: Match.stringLikeRegexp('^PrivacySalt') },
          EXPORT_URL_SECONDS: '86400',
        }),
      },
    });
  });

  it('lets the lake Lambda touch objects of the three lake buckets only, with no wildcard action', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PrivacyLakeRole') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions.filter((a) => a.endsWith('*'))).toEqual([]);
    const objects = statements.find((s: { Action: unknown }) =>
      [s.Action].flat().includes('s3:DeleteObject'),
    );
    const buckets = (
      objects.Resource as { 'Fn::Join': [string, [{ 'Fn::GetAtt': [string] }, string]] }[]
    ).map((r) => `${r['Fn::Join'][1][0]['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')}${r['Fn::Join'][1][1]}`);
    expect(buckets).toEqual(['DataLakeLanding/*', 'DataLakeQuarantine/*', 'DataLakeTrusted/*']);
  });

  it('lets the lake Lambda list, read and delete old versions in the lake buckets, and no reader of the list', () => {
    const pairs = allowedPairs(template, 'PrivacyLakeRole');
    for (const bucket of ['DataLakeLanding', 'DataLakeTrusted', 'DataLakeQuarantine']) {
      expect(pairs).toContain(`s3:ListBucketVersions ${bucket}`);
      expect(pairs).toContain(`s3:GetObjectVersion ${bucket}/*`);
      expect(pairs).toContain(`s3:DeleteObjectVersion ${bucket}/*`);
    }
    const versionPairs = pairs.filter((pair) => /Version/.test(pair));
    expect(
      versionPairs.every((pair) => /^s3:\w+ DataLake(Landing|Trusted|Quarantine)(\/\*)?$/.test(pair)),
    ).toBe(true);
    expect(allowedPairs(template, 'IngestionIngestRole').filter((pair) => /Version/.test(pair))).toEqual([]);
  });

  // The functions that ingest or send customer IDs, by role: each reads the suppression list.
  const readers = [
    'IngestionIngestRole',
    'IngestionIngestRangeRole',
    'ActivationBuildRole',
    'SegmentSyncPushRole',
  ];

  it.each(readers)(
    'lets %s read the salt and list/read privacy/suppressed/ of the trusted bucket only',
    (role) => {
      const pairs = allowedPairs(template, role);
      expect(pairs).toEqual(
        expect.arrayContaining([
          'secretsmanager:GetSecretValue PrivacySalt',
          's3:GetObject DataLakeTrusted/privacy/suppressed/*',
          's3:ListBucket DataLakeTrusted',
          'kms:Decrypt DataLakeKey',
        ]),
      );
      // Nothing else of privacy/: no write, no delete, no request or export.
      const privacy = pairs.filter((pair) => pair.includes('privacy/') || pair.includes('Privacy'));
      expect(
        privacy.filter((pair) => !pair.includes('privacy/suppressed/') && !pair.includes('PrivacySalt')),
      ).toEqual([]);
      expect(privacy.filter((pair) => /s3:(Put|Delete)/.test(pair))).toEqual([]);
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${role}`) }] },
      });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['privacy/suppressed/*'] } },
        }),
      );
    },
  );

  it('tells each of those functions where the list is and which secret salts it', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Role: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^(IngestionIngest|ActivationBuild|SegmentSyncPush)'), 'Arn'],
        },
      },
    });
    expect(Object.keys(functions)).toHaveLength(readers.length);
    for (const fn of Object.values(functions))
      expect(fn.Properties.Environment.Variables).toMatchObject({
        SUPPRESSION_BUCKET: { Ref: expect.stringMatching(/^DataLakeTrusted/) },
        PRIVACY_SALT_SECRET: { Ref: expect.stringMatching(/^PrivacySalt/) },
      });
  });
});

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

/** Every statement of the policies attached to the roles whose logical ID starts with `rolePrefix`. */
function statementsOf(t: Template, rolePrefix: string): any[] {
  const policies = t.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }]) },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (s: { Action: string | string[] }): string[] => [s.Action].flat();

describe('PrivacyRequests: the stores outside the lake', () => {
  let connect: Template;
  let pinpoint: Template;
  beforeAll(() => {
    connect = buildApp({ audienceDestination: 'connect-customer-profiles' }, 'eu-central-1').template;
    pinpoint = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) }).template;
  });

  it('lets the workflow create and describe data deletion jobs on dataset groups of this account and region only', () => {
    const statements = statementsOf(template, 'PrivacyWorkflowRole');
    const create = statements.find((s) => actionsOf(s).includes('personalize:CreateDataDeletionJob'));
    expect([create.Resource].flat().sort()).toEqual([
      'arn:aws:personalize:eu-west-1:111122223333:data-deletion-job/*',
      'arn:aws:personalize:eu-west-1:111122223333:dataset-group/*',
    ]);
    const describe = statements.find((s) => actionsOf(s).includes('personalize:DescribeDataDeletionJob'));
    expect(describe.Resource).toBe('arn:aws:personalize:eu-west-1:111122223333:data-deletion-job/*');
    // Nothing else of Personalize: no delete of datasets or groups.
    const personalize = statements.flatMap(actionsOf).filter((a) => a.startsWith('personalize:'));
    expect([...new Set(personalize)].sort()).toEqual([
      'personalize:CreateDataDeletionJob',
      'personalize:DescribeDataDeletionJob',
    ]);
  });

  it('passes only the deletion role, and only to Personalize', () => {
    const passRole = statementsOf(template, 'PrivacyWorkflowRole').filter((s) =>
      actionsOf(s).includes('iam:PassRole'),
    );
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PrivacyPersonalizeDeletionRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
      },
    ]);
  });

  it('gives the deletion role, assumed by Personalize of this account only, read of privacy/deletions/ only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'personalize.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
      Description: Match.stringLikeRegexp('data deletion jobs'),
    });
    const statements = statementsOf(template, 'PrivacyPersonalizeDeletionRole');
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(s3)).toContain('/privacy/deletions/*');
    expect(JSON.stringify(s3)).not.toMatch(/"\/\*"|personalize\/\*/);
    // The bucket lets the service read there too, for this account's Personalize only.
    const bucketPolicies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: Match.stringLikeRegexp('^DataLakeTrusted') } },
    });
    const forPersonalize = Object.values(bucketPolicies)
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => st.Principal?.Service === 'personalize.amazonaws.com');
    const reads = forPersonalize.find((st: any) => st.Action === 's3:GetObject');
    expect(JSON.stringify(reads.Resource)).toContain('/privacy/deletions/*');
    expect(reads.Condition.StringEquals).toEqual({ 'aws:SourceAccount': '111122223333' });
    const lists = forPersonalize.filter((st: any) => st.Action === 's3:ListBucket');
    expect(lists.flatMap((st: any) => st.Condition.StringLike['s3:prefix'])).toContain('privacy/deletions/*');
    for (const st of lists)
      expect(st.Condition.StringEquals).toEqual({ 'aws:SourceAccount': '111122223333' });
  });

  it('hands the lake function the Personalize ARN prefix of this account and region', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PERSONALIZE_ARN_PREFIX: 'arn:aws:personalize:eu-west-1:111122223333:',
        }),
      },
    });
  });

  it('has no destination function with S3 audience files', () => {
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function')).some((id) =>
        id.startsWith('PrivacyDestination'),
      ),
    ).toBe(false);
  });

  it('lets the Connect destination function search and delete profiles of its domain only', () => {
    const statements = statementsOf(connect, 'PrivacyDestinationRole');
    const profiles = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('profile:')));
    expect(profiles).toEqual([
      {
        Sid: 'DeleteProfiles',
        Effect: 'Allow',
        Action: ['profile:DeleteProfile', 'profile:SearchProfiles'],
        Resource: 'arn:aws:profile:eu-central-1:111122223333:domains/cdp-audiences',
      },
    ]);
    connect.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DESTINATION: 'connect-customer-profiles',
          DOMAIN_NAME: 'cdp-audiences',
        }),
      },
    });
    // It reads the USER_ID files and nothing else of the lake.
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(s3)).toContain('/privacy/deletions/*');
  });

  it("lets the Pinpoint destination function delete the users' endpoints of its project only", () => {
    const statements = statementsOf(pinpoint, 'PrivacyDestinationRole');
    const deletes = statements.filter((s) => actionsOf(s).includes('mobiletargeting:DeleteUserEndpoints'));
    expect(deletes).toHaveLength(1);
    expect(actionsOf(deletes[0]!)).toEqual(['mobiletargeting:DeleteUserEndpoints']);
    const app = 'a'.repeat(32);
    expect(JSON.stringify(deletes[0]!.Resource)).toContain(`:apps/${app}"`);
    expect(JSON.stringify(deletes[0]!.Resource)).toContain(`:apps/${app}/users/*"`);
  });
});

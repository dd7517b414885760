import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { WRITER_MAX_RECEIVES } from '../../../lib/constructs/connect-membership';
import { buildApp, unacknowledgedNagFindings } from '../synth';

type Template = ReturnType<typeof buildApp>['template'];
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };

function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());
/** A resource as text: `Fn::Join` parts joined, tokens as `<Ref>`. */
const text = (resource: unknown): string =>
  typeof resource === 'string'
    ? resource
    : JSON.stringify(resource).replace(/\{"Ref":"AWS::(\w+)"\}/g, '<$1>');
const profileStatements = (statements: Statement[]) =>
  statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('profile:')));
const DOMAIN_ARN = /^arn:aws:profile:eu-central-1:111122223333:domains\/cdp-audiences($|\/)/;

// Frankfurt: Customer Profiles does not exist in eu-west-1, and CDK's template validation says so.
describe('ConnectMembership with a created domain', () => {
  let app: ReturnType<typeof buildApp>['app'];
  let template: Template;
  beforeAll(() => {
    ({ app, template } = buildApp({ audienceDestination: 'connect-customer-profiles' }, 'eu-central-1'));
  });

  // The whole app with this destination: one synth serves the cdk-nag check and the assertions below.
  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it("creates the domain encrypted with the data lake's key, with a dead-letter queue, and keeps it on deletion", () => {
    template.hasResource('AWS::CustomerProfiles::Domain', {
      Properties: {
        DomainName: 'cdp-audiences',
        DefaultEncryptionKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataLakeKey'), 'Arn'] },
        DeadLetterQueueUrl: { Ref: Match.stringLikeRegexp('^ActivationConnectDomainDeadLetters') },
        DefaultExpirationDays: 1098,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets only Customer Profiles, for this account and domain, put into the domain dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^ActivationConnectDomainDeadLetters') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'profile.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  it('queues changes in a KMS-encrypted queue whose failures go to a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataLakeKey'), 'Arn'] },
      VisibilityTimeout: 1800,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^ActivationConnectDeadLetters'), 'Arn'],
        },
        maxReceiveCount: WRITER_MAX_RECEIVES,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.absent(),
      KmsMasterKeyId: Match.anyValue(),
      MessageRetentionPeriod: 1209600,
    });
  });

  it('runs the writer with reserved concurrency, each instance at its share of the rate, fed by the queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
      Environment: {
        Variables: Match.objectLike({ WRITES_PER_SECOND: '25', MAX_RECEIVES: String(WRITER_MAX_RECEIVES) }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ActivationConnectChanges'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('lets the writer call PutProfileObject on the domain and its audience object types, and no other profile action', () => {
    const statements = profileStatements(statementsOf(template, 'ActivationConnectWriterRole'));

    expect(actionsOf(statements)).toEqual(['profile:PutProfileObject']);
    for (const resource of statements.flatMap((s) => [s.Resource].flat()))
      expect(text(resource)).toMatch(DOMAIN_ARN);
    expect(
      statements
        .flatMap((s) => [s.Resource].flat())
        .map(text)
        .join(' '),
    ).toMatch(/domains\/cdp-audiences\/object-types\/cdp_aud_\*/);
  });

  it('lets the audience function prepare object types and segment definitions and estimate sizes, scoped to the domain', () => {
    const statements = profileStatements(statementsOf(template, 'ActivationConnectAudienceRole'));

    expect(actionsOf(statements).sort()).toEqual([
      'profile:CreateSegmentDefinition',
      'profile:CreateSegmentEstimate',
      'profile:GetProfileObjectType',
      'profile:GetSegmentDefinition',
      'profile:GetSegmentEstimate',
      'profile:PutProfileObjectType',
    ]);
    for (const resource of statements.flatMap((s) => [s.Resource].flat()))
      expect(text(resource)).toMatch(DOMAIN_ARN);
  });

  it('grants no profile:* and no profile action on every resource anywhere in the stack', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    const profile = profileStatements(all);

    expect(profile.length).toBeGreaterThan(0);
    expect(actionsOf(profile).filter((a) => a.includes('*'))).toEqual([]);
    expect(profile.flatMap((s) => [s.Resource].flat()).filter((r) => r === '*')).toEqual([]);
  });

  it('lets the audience function read the salt and the suppression list, and the writer neither', () => {
    const audience = statementsOf(template, 'ActivationConnectAudienceRole');
    expect(actionsOf(audience)).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue']));
    expect(audience.map((s) => text(s.Resource))).toContainEqual(
      expect.stringContaining('/privacy/suppressed/*'),
    );
    // The writer only writes what the audience function queued, already without erased subjects.
    expect(actionsOf(statementsOf(template, 'ActivationConnectWriterRole'))).not.toContain(
      'secretsmanager:GetSecretValue',
    );
  });

  it('lets the workflow invoke the audience function', () => {
    const statements = statementsOf(template, 'ActivationWorkflowRole');
    const invoked = statements
      .filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'))
      .flatMap((s) => [s.Resource].flat())
      .map(text)
      .join(' ');
    expect(invoked).toMatch(/ActivationConnectAudience/);
  });
});

describe('ConnectMembership with an existing domain', () => {
  let app: ReturnType<typeof buildApp>['app'];
  let template: Template;
  beforeAll(() => {
    ({ app, template } = buildApp(
      { audienceDestination: 'connect-customer-profiles', customerProfilesDomain: 'acme-customers' },
      'eu-central-1',
    ));
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it('creates no domain and scopes every grant to the named one', () => {
    template.resourceCountIs('AWS::CustomerProfiles::Domain', 0);
    const statements = profileStatements(statementsOf(template, 'ActivationConnect'));
    expect(statements.length).toBeGreaterThan(0);
    for (const resource of statements.flatMap((s) => [s.Resource].flat()))
      expect(text(resource)).toMatch(/domains\/acme-customers/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DOMAIN_NAME: 'acme-customers' }) },
    });
  });
});

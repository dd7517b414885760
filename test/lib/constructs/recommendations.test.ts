import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, unacknowledgedNagFindings } from '../synth';

const FILTER = 'arn:aws:personalize:eu-west-1:111122223333:filter/exclude-purchased';
const CAMPAIGN = 'arn:aws:personalize:eu-west-1:111122223333:campaign/cdp-recommendations';
let built: ReturnType<typeof buildApp>;

beforeAll(() => {
  built = buildApp({
    realtimeRecommendations: 'true',
    recommendationsMinProvisionedTps: '2',
    recommendationsFilterArn: FILTER,
  });
});

describe('Recommendations', () => {
  it('creates nothing for recommendations when realtimeRecommendations is unset', () => {
    const { template, stack } = buildApp();

    expect(stack.recommendations).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Url', 0);
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain('personalize:GetRecommendations');
    expect(text).not.toContain('createCampaign');
  });

  it('serves the URL with AWS_IAM auth only, so an unsigned request is refused', () => {
    built.template.resourceCountIs('AWS::Lambda::Url', 1);
    built.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RecommendationsFunction'), 'Arn'] },
    });
    // No resource policy opens the URL to everyone (that is what AuthType NONE would need).
    const permissions = built.template.findResources('AWS::Lambda::Permission', {
      Properties: { Action: 'lambda:InvokeFunctionUrl' },
    });
    expect(Object.keys(permissions)).toEqual([]);
  });

  it('lets the function call GetRecommendations on the campaign and the filter only', () => {
    const policies = Object.entries(built.template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('RecommendationsFunction'),
    );
    const statements = policies.flatMap(
      ([, p]) =>
        built.stack.resolve(p.Properties.PolicyDocument.Statement) as {
          Action: unknown;
          Resource: unknown;
        }[],
    );
    const personalize = statements.filter((s) => JSON.stringify(s.Action).includes('personalize:'));

    expect(personalize).toEqual([
      expect.objectContaining({ Action: 'personalize:GetRecommendations', Resource: [CAMPAIGN, FILTER] }),
    ]);
  });

  it('gives the function the campaign and the filter, and outputs the URL', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CAMPAIGN_ARN: CAMPAIGN, FILTER_ARN: FILTER }) },
    });
    built.template.hasOutput('RecommendationsUrl', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RecommendationsFunctionFunctionUrl'), 'FunctionUrl'] },
    });
  });

  it('lets the training workflow create and update exactly that campaign', () => {
    const policies = Object.entries(built.template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('TrainingWorkflowRole'),
    );
    const text = JSON.stringify(policies.map(([, p]) => built.stack.resolve(p.Properties.PolicyDocument)));

    expect(text).toContain('personalize:CreateCampaign');
    expect(text).toContain('personalize:UpdateCampaign');
    expect(text).toContain(`"${CAMPAIGN}"`);
    expect(text).not.toContain(':campaign/*');
  });

  it('finds no unacknowledged cdk-nag violation', () => {
    expect(unacknowledgedNagFindings(built.app)).toEqual([]);
  });
});

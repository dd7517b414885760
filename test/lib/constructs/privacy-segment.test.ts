import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsSolutionsChecks } from 'cdk-nag';
import { segmentBranchStack } from './privacy-segment-stack';

let withToken: { app: App; template: Template };
let withoutToken: { app: App; template: Template };
beforeAll(() => {
  withToken = segmentBranchStack('cdp-audiences/segment-public-api-token');
  withoutToken = segmentBranchStack();
});

/** The statements of the Segment function's role. */
function statementsOf(template: Template): { Action: string | string[]; Resource: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PrivacySegmentFunctionRole') }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const printed = (value: unknown) => JSON.stringify(value);

/** The unacknowledged cdk-nag AwsSolutions findings inside the PrivacySegment construct. */
function findingsIn(app: App): string[] {
  const segment = app.node.findChild('segment-branch').node.findChild('PrivacySegment');
  return new AwsSolutionsChecks()
    .validateScope(segment)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

describe('PrivacySegment', () => {
  it('lets the function read the token secret and nothing else of Secrets Manager', () => {
    const secretStatements = statementsOf(withToken.template).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect([secretStatements[0]!.Action].flat().sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(printed(secretStatements[0]!.Resource)).toContain(
      ':secret:cdp-audiences/segment-public-api-token-??????',
    );
  });

  it('lets the function touch objects under privacy/deletions/ of the trusted bucket only', () => {
    const s3Statements = statementsOf(withToken.template).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('s3:')),
    );
    expect(s3Statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:PutObject',
    ]);
    const resources = s3Statements.flatMap((s) => [s.Resource].flat()).map(printed);
    expect(resources).toHaveLength(1);
    expect(resources[0]).toMatch(/DataLakeTrusted.*\/privacy\/deletions\/\*/);
    // No other service than Secrets Manager, S3, the lake key and its own logs.
    const services = new Set(
      statementsOf(withToken.template).flatMap((s) => [s.Action].flat().map((a) => a.split(':')[0])),
    );
    expect([...services].sort()).toEqual(['kms', 'logs', 's3', 'secretsmanager']);
  });

  it('passes the secret name, never a value, and omits it (the manual path) when no token is configured', () => {
    withToken.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SEGMENT_PUBLIC_API_TOKEN_SECRET: 'cdp-audiences/segment-public-api-token',
          SEGMENT_REGION: 'us',
        }),
      },
    });
    const functions = withoutToken.template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('SUPPRESS_WITH_DELETE') },
    });
    const variables = Object.values(functions).map((f) => f.Properties.Environment.Variables);
    expect(variables).toHaveLength(1);
    expect(variables[0]).not.toHaveProperty('SEGMENT_PUBLIC_API_TOKEN_SECRET');
    expect(statementsOf(withoutToken.template).flatMap((s) => [s.Action].flat())).not.toContain(
      'secretsmanager:GetSecretValue',
    );
  });

  // The construct only: the test state machine around the branch is not part of it (in the stack,
  // CdpWorkflow gives the privacy workflow its logs, tracing and the invoke grant's acknowledgement).
  it('is cdk-nag clean, with and without the token', () => {
    expect(findingsIn(withToken.app)).toEqual([]);
    expect(findingsIn(withoutToken.app)).toEqual([]);
  });
});

import { Match, type Template } from 'aws-cdk-lib/assertions';

/**
 * Every (action, resource) pair the policies of one role allow, with resources written readably:
 * `DataLakeTrusted/trusted/web/orders/*` (the logical ID without its hash, then the path).
 */
export function allowedPairs(template: Template, roleLogicalIdPrefix: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${roleLogicalIdPrefix}`) }] },
  });
  const statements = Object.values(policies).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: unknown; Resource: unknown }[],
  );
  return statements.flatMap((s) =>
    [s.Action]
      .flat()
      .flatMap((action) => [s.Resource].flat().map((resource) => `${action} ${readable(resource)}`)),
  );
}

function readable(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const token = resource as Record<string, unknown>;
  if (token.Ref) return stripHash(String(token.Ref));
  const getAtt = token['Fn::GetAtt'] as string[] | undefined;
  if (getAtt) return stripHash(getAtt[0]!);
  const join = token['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(readable).join(join[0]);
  return JSON.stringify(resource);
}

const stripHash = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

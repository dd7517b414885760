import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 acknowledges each finding on its own (`AwsSolutions-IAM5[Resource::…]`), so the
 * finding IDs name resources the way cdk-nag prints them: `<LogicalId.Arn>`.
 */
export function arnToken(resource: IConstruct): string {
  const element = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(resource).getLogicalId(element)}.Arn>`;
}

/** Acknowledges one IAM5 wildcard finding on the policy of `scope`, with the reason. */
export function acknowledgeWildcard(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** Acknowledges a wildcard in an ARN built from tokens, spelled as cdk-nag prints it. */
export function acknowledgeWildcardArn(scope: IConstruct, arn: string, reason: string): void {
  acknowledgeWildcard(scope, `Resource::${printed(Stack.of(scope).resolve(arn))}`, reason);
}

// cdk-nag prints `Fn::Join` parts joined, `Ref` as `<Name>` and `Fn::GetAtt` as `<Name.Attribute>`.
function printed(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref) return `<${String(v.Ref)}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(printed).join(separator);
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges every wildcard resource of a policy CDK wrote for us (e.g. the Distributed Map's
 * permission on its own child executions), spelled as cdk-nag prints it.
 */
export function acknowledgeWildcardsOf(policy: IConstruct, reason: string): void {
  const document = Stack.of(policy).resolve((policy as unknown as { document: unknown }).document) as {
    Statement?: { Resource?: unknown }[];
  };
  for (const statement of document.Statement ?? []) {
    for (const resource of [statement.Resource ?? []].flat()) {
      const text = printed(resource);
      if (text.includes('*')) acknowledgeWildcard(policy, `Resource::${text}`, reason);
    }
  }
}

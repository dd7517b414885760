import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CdpAudiencesStack } from '../../lib/cdp-audiences-stack';
import { parseConfig } from '../../lib/config';

/** cdk.json's context: the feature flags and defaults `cdk synth` runs with. */
const cdkJsonContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

/** Builds the whole app as `cdk synth` would, from cdk.json plus the given context, without bundling the Lambdas (fast). */
export function buildApp(context: Record<string, unknown> = {}, region = 'eu-west-1') {
  const merged = { ...cdkJsonContext, email: 'ops@example.com', ...context };
  const app = new App({ context: { ...merged, 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig(merged);
  const stack = new CdpAudiencesStack(app, 'test-audiences', {
    config,
    env: { account: '111122223333', region },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The cdk-nag AwsSolutions findings nobody acknowledged, as readable lines. */
export function unacknowledgedNagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map(
      (r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}: ${v.description}`,
    ),
  );
}

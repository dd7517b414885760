import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CdpAudiencesStack } from '../../lib/cdp-audiences-stack';
import { parseConfig } from '../../lib/config';

/** cdk.json's context: the feature flags and defaults `cdk synth` runs with. */
const cdkJsonContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

type BuiltApp = { app: App; stack: CdpAudiencesStack; template: Template };

/**
 * Apps already built in this test worker, by context. Synthesizing is most of the suite's time, and
 * tests only read what they get back, so one build per distinct context is enough.
 */
const built = new Map<string, BuiltApp>();

/** A key that tells `{ email: undefined }` apart from `{}`. */
function contextKey(context: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(context)
      .sort()
      .map((key) => [key, context[key] === undefined ? '<undefined>' : context[key]]),
  );
}

/**
 * Builds the whole app as `cdk synth` would, from cdk.json plus the given context, without bundling
 * the Lambdas (fast). The result is shared by every caller with the same context: do not change it.
 */
export function buildApp(context: Record<string, unknown> = {}, region = 'eu-west-1'): BuiltApp {
  const key = `${region} ${contextKey(context)}`;
  let app = built.get(key);
  if (!app) {
    app = buildFreshApp(context, region);
    built.set(key, app);
  }
  return app;
}

function buildFreshApp(context: Record<string, unknown>, region: string): BuiltApp {
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

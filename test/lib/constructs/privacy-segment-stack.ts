import { readFileSync } from 'node:fs';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DataLake } from '../../../lib/constructs/data-lake';
import { PrivacySegment } from '../../../lib/constructs/privacy-segment';

/** cdk.json's context (its feature flags), as `cdk synth` runs with. */
const cdkJsonContext = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

/**
 * A test stack holding only the lake and the Segment step, its branch in a one-branch Parallel
 * (the shape the privacy workflow gives its store steps) beside a stand-in branch.
 */
export function segmentBranchStack(tokenSecretName?: string): { app: App; template: Template } {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'segment-branch', { env: { account: '111122223333', region: 'eu-west-1' } });
  const dataLake = new DataLake(stack, 'DataLake', {
    landingRetentionDays: 30,
    outputRetentionDays: 90,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const segment = new PrivacySegment(stack, 'PrivacySegment', {
    dataLake,
    region: 'us',
    removalPolicy: RemovalPolicy.RETAIN,
    ...(tokenSecretName ? { tokenSecretName } : {}),
  });
  const other = new sfn.Pass(stack, 'Other store', {
    parameters: { store: 'Amazon Personalize', action: 'data deletion job', status: 'done' },
  });
  const stores = new sfn.Parallel(stack, 'Erase from the other stores')
    .branch(segment.branch(stack))
    .branch(other);
  new sfn.StateMachine(stack, 'SegmentBranch', { definitionBody: sfn.DefinitionBody.fromChainable(stores) });
  return { app, template: Template.fromStack(stack) };
}

/**
 * Measures the largest Step Functions state of the activation workflow (pinpoint destination),
 * run locally with aws-local-stepfunctions. Its Distributed Maps read their items from S3 and
 * write their results to S3, which aws-local-stepfunctions cannot run, so each map is simulated
 * over an in-memory bucket (test/workflows/distributed-map.ts); the steps around them and every
 * item processor run as the definition says, with the real build, merge and outcome core.
 *
 *   npx tsx bench/activation-state-size.ts parts       # a job of 10,000 .out parts, all imported
 *   npx tsx bench/activation-state-size.ts audiences   # 500 audiences, every import refused with a 4 KB cause
 *
 * Step Functions refuses a state over 256 KB (States.DataLimitExceeded). Every state's input and
 * output is counted, the parent's and each child execution's.
 */
import { activationOutcome } from '../lambdas/core/destinations/activation-outcome';
import type { JobTarget } from '../lambdas/core/destinations/build-job';
import { recordImportFailure } from '../lambdas/core/destinations/import-failure';
import { loadActivationRun } from '../lambdas/core/destinations/load-run';
import { mergePartResults, summariseBuild, writePartList } from '../lambdas/core/destinations/workflow-items';
import { MemoryObjectStore } from '../test/adapters/segment/memory-object-store';
import { buildApp } from '../test/lib/synth';
import { definitionOf, runLocally, StateSizes } from '../test/workflows/definition';
import { simulateDistributedMaps } from '../test/workflows/distributed-map';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- stand-ins take whatever the state passes
type Handler = (input: any) => Promise<unknown>;

const scenario = process.argv[2] === 'parts' ? 'parts' : 'audiences';
const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the definition is untyped JSON
const definition = definitionOf(template, 'ActivationWorkflow') as { States: Record<string, any> };
const bucket = definition.States['Build each part'].ItemReader.Parameters.Bucket as string;
const store = new MemoryObjectStore();
const target: JobTarget = { store, bucket, prefix: 'audiences/', holdoutPercent: 0 };
const context = { Execution: { Name: 'run-1' } };
const jobEvent = {
  detail: {
    jobName: 'weekly',
    jobArn: 'arn:aws:personalize:eu-west-1:111122223333:batch-segment-job/weekly',
    status: 'ACTIVE',
    output: { bucket: 'segments-bucket', key: 'segments/weekly/' },
  },
};
const audience = (name: string) => ({
  name,
  query: `ITEMS.genres = "${name}"`,
  size: 10,
  holdoutSize: 1,
  unresolvedUsers: 0,
  importKey: `audiences/weekly/${name}.csv`,
});
const manifestOf = (name: string) => ({ bucket, key: `audiences/weekly/${name}/manifest.json` });
const refused = (): never => {
  const error = new Error(JSON.stringify({ Message: 'x'.repeat(4096) }));
  error.name = 'Pinpoint.BadRequestException';
  throw error;
};
const decide: Handler = async (input) => activationOutcome(await loadActivationRun(store, bucket, input));
const handlers: Record<string, Handler> = {
  'Build audience files': async (input) =>
    scenario === 'parts'
      ? writePartList(
          target,
          input.jobName,
          input.run,
          Array.from({ length: 10_000 }, (_, i) => `segments/weekly/queries-${i}.json.out`),
        )
      : summariseBuild(target, input.jobName, input.run, {
          manifest: manifestOf('all'),
          audiences: Array.from({ length: 500 }, (_, i) => audience(`a${i}`)),
          skippedLines: 0,
        }),
  'Build part': async (input) => {
    const name = input.part.split('/').pop().replace('.json.out', '');
    return summariseBuild(
      target,
      input.jobName,
      input.run,
      { manifest: manifestOf(name), audiences: [audience(name)], skippedLines: 0 },
      input.part,
    );
  },
  'Merge parts': async (input) => mergePartResults(target, input.jobName, input.run, input.merge),
  'Start import':
    scenario === 'parts'
      ? async (input) => ({ ImportJobResponse: { Id: `job-${input.ImportJobRequest.SegmentName}` } })
      : async () => refused(),
  'Check import': async (input) => ({
    ImportJobResponse: {
      Id: input.JobId,
      JobStatus: 'COMPLETED',
      Definition: { SegmentId: `s-${input.JobId}` },
    },
  }),
  'Decide outcome': decide,
  'Describe failure': decide,
  'Import failed': async (input) => recordImportFailure(input),
  'Import refused': async (input) => recordImportFailure(input),
};

const sizes = new StateSizes();
const overrides = {
  waitTimeOverrides: { 'Wait for import': 0 },
  retryIntervalOverrides: { 'Start import': 0 },
};
const simulated = simulateDistributedMaps(definition, {
  store,
  handlers,
  context,
  stateSizes: sizes,
  ...overrides,
});
const started = Date.now();
const { outcome, published } = await runLocally(simulated.definition, jobEvent, {
  handlers: { ...handlers, ...simulated.handlers },
  publishStates: ['Publish outcome'],
  context,
  stateSizes: sizes,
  ...overrides,
});
const { state, bytes } = sizes.max();
console.log(JSON.stringify(Object.fromEntries(sizes.largest), null, 2));
console.log(
  `${scenario}: run ${outcome} (${published[0]?.detailType ?? 'nothing published'}) in ${((Date.now() - started) / 1000).toFixed(1)} s; largest state ${bytes.toLocaleString('en')} bytes at "${state}" (limit 262,144)`,
);

/**
 * Measures the largest Step Functions state of the activation workflow (pinpoint destination),
 * run locally with aws-local-stepfunctions, which runs a Distributed Map as an inline Map:
 *
 *   npx tsx bench/activation-state-size.ts parts       # a job of 10,000 .out parts
 *   npx tsx bench/activation-state-size.ts audiences   # 500 audiences, every import refused with a 4 KB cause
 *
 * Step Functions refuses a state over 256 KB (States.DataLimitExceeded). This is a measurement,
 * not a test: the map states still carry their items and results inline (issue 15).
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { handler as decideOutcome } from '../lambdas/handlers/activation-outcome';
import { buildApp } from '../test/lib/synth';
import { definitionOf } from '../test/workflows/definition';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- stand-ins take whatever the state passes
type Handler = (input: any) => Promise<unknown>;

const scenario = process.argv[2] === 'parts' ? 'parts' : 'audiences';
const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });
const definition = definitionOf(template, 'ActivationWorkflow');
const jobEvent = {
  detail: {
    jobName: 'weekly',
    jobArn: 'arn:aws:personalize:eu-west-1:111122223333:batch-segment-job/weekly',
    status: 'ACTIVE',
    output: { bucket: 'trusted', key: 'segments/weekly/' },
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
const manifest = { bucket: 'trusted', key: 'audiences/weekly/manifest.json' };
const refused = (): never => {
  const error = new Error(JSON.stringify({ Message: 'x'.repeat(4096) }));
  error.name = 'Pinpoint.BadRequestException';
  throw error;
};
const handlers: Record<string, Handler> = {
  'Build audience files': async () =>
    scenario === 'parts'
      ? {
          fanOut: true,
          parts: Array.from({ length: 10_000 }, (_, i) => `segments/weekly/queries-${i}.json.out`),
        }
      : { manifest, audiences: Array.from({ length: 500 }, (_, i) => audience(`a${i}`)), skippedLines: 0 },
  'Build part': async (item) => ({
    manifest,
    audiences: [audience(item.part.split('/').pop())],
    skippedLines: 0,
  }),
  'Merge parts': async (input) => ({
    manifest,
    audiences: input.merge.flatMap((part: { audiences: unknown[] }) => part.audiences),
    skippedLines: 0,
  }),
  'Start import': async () => refused(),
  'Decide outcome': decideOutcome as Handler,
  'Describe failure': decideOutcome as Handler,
  'Publish outcome': async () => ({ Entries: [], FailedEntryCount: 0 }),
};

const machine = new StateMachine(
  definition as never,
  {
    validationOptions: { checkPaths: false, checkArn: false },
  } as never,
);
const execution = machine.run(
  jobEvent as never,
  {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: { 'Start import': 0 } },
  } as never,
) as unknown as { eventLogs: AsyncIterable<StateEvent>; result: Promise<unknown> };
interface StateEvent {
  readonly type: string;
  readonly index?: number;
  readonly state: { readonly name: string; readonly input?: unknown; readonly output?: unknown };
}
const largest: Record<string, number> = {};
for await (const event of execution.eventLogs) {
  // Top-level states only: an item's own state is bounded by its item.
  if ((event.type !== 'StateEntered' && event.type !== 'StateExited') || event.index !== undefined) continue;
  for (const data of [event.state.input, event.state.output]) {
    if (data === undefined) continue;
    largest[event.state.name] = Math.max(
      largest[event.state.name] ?? 0,
      Buffer.byteLength(JSON.stringify(data)),
    );
  }
}
const outcome = await execution.result.then(
  () => 'succeeded',
  (error: Error) => `failed: ${error.name}`,
);
const [state, bytes] = Object.entries(largest).sort(([, a], [, b]) => b - a)[0]!;
console.log(JSON.stringify(largest, null, 2));
console.log(
  `${scenario}: run ${outcome}; largest state ${bytes.toLocaleString('en')} bytes at "${state}" (limit 262,144)`,
);

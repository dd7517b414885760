import { StateMachine } from 'aws-local-stepfunctions';
import { readObjectText, type ObjectStore } from '../../lambdas/core/ports/object-store';
import type { LocalHandler, StateSizes } from './definition';

/** How the simulated maps run their item processors, and where their S3 lives. */
export interface SimulatedMapOptions {
  /** The bucket the maps read items from and write results to. */
  readonly store: ObjectStore;
  /** Stand-ins for the item processors' tasks. */
  readonly handlers: Record<string, LocalHandler>;
  readonly waitTimeOverrides?: Record<string, number>;
  readonly retryIntervalOverrides?: Record<string, number>;
  /** The parent's context object (`$$`), e.g. `{ Execution: { Name } }`. */
  readonly context: Record<string, unknown>;
  /** Records the size of every state of every child execution. */
  readonly stateSizes?: StateSizes;
}

type Json = Record<string, any>;

/**
 * aws-local-stepfunctions cannot run a Distributed Map that reads its items from S3 (ItemReader)
 * and writes its results to S3 (ResultWriter). This stands in for Step Functions there: each such
 * Map state becomes a Task whose local handler reads the item file from `store`, applies the
 * ItemSelector, runs the item processor once per item (at most MaxConcurrency at once), writes the
 * results as Step Functions does (`<Prefix>/<map run id>/manifest.json` and `SUCCEEDED_0.json` /
 * `FAILED_0.json`, Transformation NONE), and returns the map's state output, their location.
 * A map without an ItemReader is left as it is, for aws-local-stepfunctions to run inline.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */
export function simulateDistributedMaps(
  definition: Record<string, unknown>,
  options: SimulatedMapOptions,
): { definition: Record<string, unknown>; handlers: Record<string, LocalHandler> } {
  const copy = structuredClone(definition) as { States: Record<string, Json> };
  const handlers: Record<string, LocalHandler> = {};
  let runs = 0;
  for (const [name, state] of Object.entries(copy.States)) {
    if (state.Type !== 'Map' || !state.ItemReader || !state.ResultWriter) continue;
    const { ItemProcessor, ItemReader, ItemSelector, ResultWriter, MaxConcurrency } = state;
    const { ProcessorConfig: _config, ...processor } = ItemProcessor as Json;
    const machine = new StateMachine(
      processor as never,
      {
        validationOptions: { checkPaths: false, checkArn: false },
      } as never,
    );
    copy.States[name] = {
      Type: 'Task',
      Resource: `arn:aws:lambda:eu-west-1:111122223333:function:${name.replace(/\W/g, '')}`,
      TimeoutSeconds: 3600,
      ...pick(state, ['InputPath', 'ResultPath', 'OutputPath', 'Catch', 'Retry', 'Next', 'End']),
    };
    handlers[name] = async (input: unknown) => {
      runs += 1;
      const reader = ItemReader.Parameters as Json;
      const key = reader['Key.$'] ? valueAt(reader['Key.$'], input, options.context) : reader.Key;
      const items = JSON.parse(await readObjectText(options.store, key as string)) as unknown[];
      const entries = await mapWithConcurrency(items, MaxConcurrency || 1000, async (value, index) => {
        const item = ItemSelector
          ? select(ItemSelector, input, { ...options.context, Map: { Item: { Value: value, Index: index } } })
          : value;
        return runChild(machine, item, options);
      });
      const prefix = (ResultWriter.Parameters as Json).Prefix as string;
      const folder = `${prefix}/map-run-${runs}`;
      const files: Record<string, { Key: string; Size: number }[]> = {
        SUCCEEDED: [],
        FAILED: [],
        PENDING: [],
      };
      for (const status of ['SUCCEEDED', 'FAILED']) {
        const ofStatus = entries.filter((e) => e.Status === status);
        if (ofStatus.length === 0) continue;
        const body = JSON.stringify(ofStatus);
        const fileKey = `${folder}/${status}_0.json`;
        await options.store.put(fileKey, body);
        files[status]!.push({ Key: fileKey, Size: Buffer.byteLength(body) });
      }
      const bucket = (ResultWriter.Parameters as Json).Bucket as string;
      const manifestKey = `${folder}/manifest.json`;
      const mapRunArn = `arn:aws:states:eu-west-1:111122223333:mapRun:activation/${name}:${runs}`;
      await options.store.put(
        manifestKey,
        JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files }),
      );
      // No tolerated failure is set: one failed child fails the map, after its results are written.
      if (
        entries.some((e) => e.Status !== 'SUCCEEDED') &&
        !state.ToleratedFailureCount &&
        !state.ToleratedFailurePercentage
      ) {
        const error = new Error('The specified tolerated failure threshold was exceeded');
        error.name = 'States.ExceedToleratedFailureThreshold';
        throw error;
      }
      return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
    };
  }
  return { definition: copy, handlers };
}

async function runChild(machine: StateMachine, item: unknown, options: SimulatedMapOptions): Promise<Json> {
  const execution = machine.run(
    item as never,
    {
      overrides: {
        taskResourceLocalHandlers: options.handlers,
        waitTimeOverrides: options.waitTimeOverrides,
        retryIntervalOverrides: options.retryIntervalOverrides,
      },
    } as never,
  );
  const done = execution.result.then(
    (output: unknown) => ({
      Status: 'SUCCEEDED',
      Input: JSON.stringify(item),
      Output: JSON.stringify(output),
    }),
    (error: Error) => {
      const cause = (error.cause as Error | undefined) ?? error;
      return { Status: 'FAILED', Input: JSON.stringify(item), Error: cause.name, Cause: cause.message };
    },
  );
  if (options.stateSizes) await options.stateSizes.record(execution.eventLogs);
  return done;
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function pick(state: Json, keys: readonly string[]): Json {
  return Object.fromEntries(keys.filter((k) => state[k] !== undefined).map((k) => [k, state[k]]));
}

/** An ItemSelector applied: `.$` fields are paths into the input (`$`) or the context (`$$`). */
function select(template: Json, input: unknown, context: Json): Json {
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$')
        ? [key.slice(0, -2), valueAt(value as string, input, context)]
        : [
            key,
            value && typeof value === 'object' && !Array.isArray(value)
              ? select(value, input, context)
              : value,
          ],
    ),
  );
}

function valueAt(path: string, input: unknown, context: Json): unknown {
  const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [input, path.slice(1)];
  let value: any = root;
  for (const field of rest.split('.').filter(Boolean)) {
    if (value === undefined || value === null || !(field in value))
      throw new Error(`no ${path} in the state`);
    value = value[field];
  }
  return value;
}

import { z } from 'zod';
import { UserFacingError } from '../errors';
import { readObjectText, type ObjectStore } from '../ports/object-store';

/**
 * What a Distributed Map with a ResultWriter returns as its state output: where its results are,
 * never the results themselves (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
 */
export const mapRunOutput = z.object({
  MapRunArn: z.string().optional(),
  ResultWriterDetails: z.object({ Bucket: z.string().min(1), Key: z.string().min(1) }),
});
export type MapRunOutput = z.infer<typeof mapRunOutput>;

const resultFile = z.object({ Key: z.string().min(1), Size: z.number().optional() });
/** `<prefix>/<map run id>/manifest.json`: one list of result files per status. */
const manifest = z.object({
  DestinationBucket: z.string().optional(),
  MapRunArn: z.string().optional(),
  ResultFiles: z.object({
    SUCCEEDED: z.array(resultFile).optional(),
    FAILED: z.array(resultFile).optional(),
    PENDING: z.array(resultFile).optional(),
  }),
});
/**
 * One child execution in `SUCCEEDED_n.json`, `FAILED_n.json` or `PENDING_n.json` (a JSON array of
 * these, Transformation NONE): its output as a JSON string, or its error and cause.
 */
const childExecution = z.looseObject({
  Status: z.string(),
  Output: z.string().optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
  Input: z.string().optional(),
});

/** A child execution of a map run, as read back from S3. */
export type ChildResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | {
      readonly status: string;
      readonly error?: string;
      readonly cause?: string;
      /** The child's input, when Step Functions included it. */
      readonly input?: unknown;
    };

/**
 * Every child execution of a map run, read from the ResultWriter's manifest and its result files
 * through the store of the bucket it wrote to. Succeeded ones come first, in file order.
 */
export async function* readMapRun(store: ObjectStore, manifestKey: string): AsyncIterable<ChildResult> {
  const parsed = manifest.safeParse(JSON.parse(await readObjectText(store, manifestKey)));
  if (!parsed.success)
    throw new UserFacingError('is not a Distributed Map result manifest', { location: manifestKey });
  const { SUCCEEDED = [], FAILED = [], PENDING = [] } = parsed.data.ResultFiles;
  for (const file of [...SUCCEEDED, ...FAILED, ...PENDING]) {
    const entries = z.array(childExecution).safeParse(JSON.parse(await readObjectText(store, file.Key)));
    if (!entries.success)
      throw new UserFacingError('is not a Distributed Map result file', { location: file.Key });
    for (const entry of entries.data) {
      if (entry.Status === 'SUCCEEDED')
        yield { status: 'SUCCEEDED', output: JSON.parse(entry.Output ?? 'null') };
      else
        yield {
          status: entry.Status,
          ...(entry.Error !== undefined ? { error: entry.Error } : {}),
          ...(entry.Cause !== undefined ? { cause: entry.Cause } : {}),
          ...(entry.Input !== undefined ? { input: parseOrText(entry.Input) } : {}),
        };
    }
  }
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

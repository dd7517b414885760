import { IdHashSet } from '../activation/id-hash-set';
import { type ObjectStore, readObject, readObjectText, readRange } from '../ports/object-store';
import { DEFAULT_NORMALISE_OPTIONS } from './column-types';
import { datasetDefinitions, datasetForKey, type DatasetDefinition } from './datasets';
import {
  FileRun,
  FIRST_PROBLEMS,
  HashList,
  ingestFile,
  type IngestCounts,
  type IngestOutcome,
  type IngestRequest,
  type IngestStores,
  LEDGER_PREFIX,
  ledgerKey,
  quarantinePrefixOf,
  type RunShape,
  thresholdReason,
  trustedKeyOf,
} from './ingest-file';
import { type ByteRange, type RangePlan, RangePlanner } from './range-plan';
import { FileProblem, type RowProblem } from './read-rows';

/**
 * Ingestion of a file too large for one Lambda, in byte ranges (see `range-plan.ts` for where the
 * ranges start). Each range is read twice, by the same engine as a whole file (`FileRun`):
 *
 * 1. check: validate the range, write its quarantine part and the 64-bit hash of every row it
 *    keeps (after its own duplicates), in file order; nothing reaches the trusted zone;
 * 2. merge: one pass over the hash lists in range order finds the rows a range shares with an
 *    earlier range (cross-range duplicates: the earliest copy stays, as in a whole-file run),
 *    adds up the counts, applies the bad-row threshold to the whole file, and joins the
 *    quarantine parts into one report;
 * 3. write (only when the merge accepts the file): each range again, now writing its trusted
 *    part and skipping its cross-range duplicates;
 * 4. finish: the re-delivery ledger and the outcome, for one `Dataset Ingested` event.
 *
 * Reading twice costs a second validation of each range, but a rejected file then never touches
 * the trusted zone (as with a whole file), and no part has to be deleted or rewritten.
 */

/** What a range step needs besides its range: the plan's header and delimiter. */
export interface RangeJob extends IngestRequest {
  readonly header: string;
  readonly recordDelimiter: RangePlan['recordDelimiter'];
  readonly range: ByteRange;
}

/** What the check of one range reports to the merge (small: it travels through the workflow). */
export interface RangeCheck extends IngestCounts {
  readonly index: number;
  /** Why the range breaks the whole file (a FileProblem), when it does. */
  readonly reason?: string;
  readonly firstProblems: readonly RowProblem[];
  /** The range's quarantine report part, when it has one. */
  readonly report?: string;
}

export type MergeOutcome =
  | ({
      readonly status: 'write';
      /** Ranges that hold cross-range duplicates (their drop lists were written). */
      readonly withDrops: readonly number[];
      readonly report?: string;
      readonly firstProblems: readonly RowProblem[];
    } & IngestCounts)
  | Extract<IngestOutcome, { status: 'rejected' }>;

function definitionOf(request: IngestRequest): DatasetDefinition {
  const dataset = datasetForKey(
    request.key,
    datasetDefinitions(request.normalise ?? DEFAULT_NORMALISE_OPTIONS),
  );
  if (!dataset) throw new Error(`no dataset is declared for ${request.key}`);
  return dataset;
}

const pad = (index: number) => String(index).padStart(5, '0');

/** Working files of a ranged ingestion: hash lists and drop lists, under the ledger's prefix. */
export function partsPrefixOf(dataset: DatasetDefinition, request: IngestRequest): string {
  return `${LEDGER_PREFIX}_parts/${dataset.name}/${request.etag.replace(/[^A-Za-z0-9-]/g, '')}/`;
}

/** The trusted part a range writes: the whole file's key with `-part-00003` before the extension. */
export function partKeyOf(dataset: DatasetDefinition, request: IngestRequest, index: number): string {
  return trustedKeyOf(dataset, request).replace(/(\.[a-z]+)$/, `-part-${pad(index)}$1`);
}

/** What every part key of the file starts with: the `output` of a ranged ingestion. */
export function partsOutputOf(dataset: DatasetDefinition, request: IngestRequest): string {
  return trustedKeyOf(dataset, request).replace(/(\.[a-z]+)$/, '-part-');
}

function quarantinePartOf(request: IngestRequest, index: number): string {
  return `${quarantinePrefixOf(request.key)}parts/${pad(index)}/`;
}

/** Plans the ranges of a landing object by reading it once (see `RangePlanner`). */
export async function planLandingRanges(
  landing: ObjectStore,
  key: string,
  partBytes: number,
): Promise<RangePlan> {
  const planner = new RangePlanner(partBytes);
  for await (const chunk of await landing.get(key)) {
    planner.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  }
  return planner.finish();
}

function runOf(stores: IngestStores, job: RangeJob, shape: Partial<RunShape>) {
  const { range } = job;
  return new FileRun(stores, definitionOf(job), job, {
    source: () => readRange(stores.landing, job.key, range.start, range.end),
    read:
      range.start === 0
        ? { linesBefore: 0 }
        : { header: job.header, linesBefore: range.linesBefore, recordDelimiter: job.recordDelimiter },
    threshold: false,
    ...shape,
  });
}

/** Step 1: validates one range; writes its quarantine part and its hash list. */
export async function checkRange(stores: IngestStores, job: RangeJob): Promise<RangeCheck> {
  const dataset = definitionOf(job);
  const hashes = new HashList();
  const outcome = await runOf(stores, job, {
    quarantinePrefix: quarantinePartOf(job, job.range.index),
    hashes,
  }).execute();
  if (outcome.status === 'already-ingested') throw new Error('a range check never consults the ledger');
  await stores.trusted.put(`${partsPrefixOf(dataset, job)}${pad(job.range.index)}.hashes`, hashes.bytes(), {
    contentType: 'application/octet-stream',
  });
  return {
    index: job.range.index,
    rowsIn: outcome.rowsIn,
    good: outcome.good,
    bad: outcome.bad,
    duplicates: outcome.duplicates,
    ...(outcome.suppressed ? { suppressed: outcome.suppressed } : {}),
    firstProblems: outcome.firstProblems,
    ...(outcome.status === 'rejected' ? { reason: outcome.reason } : {}),
    ...(outcome.report ? { report: outcome.report } : {}),
  };
}

function wordsOf(bytes: Uint8Array): Int32Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Int32Array(copy.buffer, 0, bytes.length / 4);
}

/**
 * Step 2: adds the checks up (in range order) into the whole file's counts, finds cross-range
 * duplicates, joins the quarantine parts, and decides: write the file, or reject it whole.
 */
export async function mergeRanges(
  stores: IngestStores,
  request: IngestRequest,
  checks: readonly RangeCheck[],
): Promise<MergeOutcome> {
  const dataset = definitionOf(request);
  const ordered = [...checks].sort((a, b) => a.index - b.index);
  const counts: { rowsIn: number; good: number; bad: number; duplicates: number; suppressed?: number } = {
    rowsIn: 0,
    good: 0,
    bad: 0,
    duplicates: 0,
  };
  const broken = ordered.find((check) => check.reason !== undefined);
  const considered = broken ? ordered.filter((check) => check.index <= broken.index) : ordered;
  for (const check of considered) {
    counts.rowsIn += check.rowsIn;
    counts.good += check.good;
    counts.bad += check.bad;
    counts.duplicates += check.duplicates;
    if (check.suppressed) counts.suppressed = (counts.suppressed ?? 0) + check.suppressed;
  }
  // As in a whole-file run: the problem that broke the file first, then the others in file order.
  const firstProblems: RowProblem[] = broken ? [broken.firstProblems[0]!] : [];
  for (const check of considered) {
    const problems = check === broken ? check.firstProblems.slice(1) : check.firstProblems;
    for (const problem of problems) if (firstProblems.length < FIRST_PROBLEMS) firstProblems.push(problem);
  }
  const report = await joinReports(stores.quarantine, request, considered);

  // One exact set of the hashes kept so far, in file order: what a whole-file run's set would hold.
  const withDrops: number[] = [];
  if (!broken) {
    const seen = new IdHashSet(1 << 16);
    const prefix = partsPrefixOf(dataset, request);
    for (const check of ordered) {
      const words = wordsOf(await readObject(stores.trusted, `${prefix}${pad(check.index)}.hashes`));
      const drops = new HashList();
      for (let i = 0; i < words.length; i += 2) {
        if (!seen.add(words[i]!, words[i + 1]!)) drops.push(words[i]!, words[i + 1]!);
      }
      if (drops.length > 0) {
        withDrops.push(check.index);
        counts.duplicates += drops.length;
        counts.good -= drops.length;
        await stores.trusted.put(`${prefix}${pad(check.index)}.drop`, drops.bytes(), {
          contentType: 'application/octet-stream',
        });
      }
    }
  }

  const base = {
    dataset: dataset.name,
    key: request.key,
    ...counts,
    firstProblems,
    ...(report ? { report } : {}),
  };
  if (broken) return { status: 'rejected', reason: broken.reason!, ...base };
  if (counts.rowsIn === 0) {
    const problem = new FileProblem(request.key, 1, 'the file holds a header but no rows');
    return { status: 'rejected', reason: problem.message, ...base };
  }
  const reason = thresholdReason(request, counts);
  if (reason) return { status: 'rejected', reason, ...base };
  return { status: 'write', withDrops, ...base };
}

/** The quarantine parts joined into `quarantine/<key>/report.csv` and `rows.csv`, in range order. */
async function joinReports(
  quarantine: ObjectStore,
  request: IngestRequest,
  checks: readonly RangeCheck[],
): Promise<string | undefined> {
  const parts = checks.filter((check) => check.report !== undefined).map((check) => check.index);
  if (parts.length === 0) return undefined;
  const prefix = quarantinePrefixOf(request.key);
  for (const name of ['report.csv', 'rows.csv']) {
    // A range whose only problem broke the file has a report but no rows.
    const keys: string[] = [];
    for (const index of parts) {
      const key = `${quarantinePartOf(request, index)}${name}`;
      if (await quarantine.head(key)) keys.push(key);
    }
    if (keys.length === 0) continue;
    async function* joined(): AsyncGenerator<Uint8Array | string> {
      for (const [at, key] of keys.entries()) {
        const text = await readObjectText(quarantine, key);
        // Each part starts with the same header line; the joined file keeps the first.
        yield at === 0 ? text : text.slice(text.indexOf('\n') + 1);
      }
    }
    await quarantine.put(`${prefix}${name}`, joined(), { contentType: 'text/csv' });
  }
  return `${prefix}report.csv`;
}

/** Step 3: writes one range's trusted part, without its cross-range duplicates. */
export async function writeRange(
  stores: IngestStores,
  job: RangeJob,
  hasDrops: boolean,
): Promise<IngestCounts> {
  const dataset = definitionOf(job);
  let drop: IdHashSet | undefined;
  if (hasDrops) {
    drop = new IdHashSet(1 << 12);
    const words = wordsOf(
      await readObject(stores.trusted, `${partsPrefixOf(dataset, job)}${pad(job.range.index)}.drop`),
    );
    for (let i = 0; i < words.length; i += 2) drop.add(words[i]!, words[i + 1]!);
  }
  const outcome = await runOf(stores, job, {
    output: partKeyOf(dataset, job, job.range.index),
    drop,
  }).execute();
  if (outcome.status !== 'ingested')
    throw new Error(`range ${job.range.index} of ${job.key} was accepted by its check but not on writing`);
  return { rowsIn: outcome.rowsIn, good: outcome.good, bad: outcome.bad, duplicates: outcome.duplicates };
}

/** Step 4: records the delivery in the ledger; returns the outcome of the whole file. */
export async function finishRanges(
  stores: IngestStores,
  request: IngestRequest,
  merged: Extract<MergeOutcome, { status: 'write' }>,
): Promise<IngestOutcome> {
  const dataset = definitionOf(request);
  const output = partsOutputOf(dataset, request);
  await stores.trusted.put(
    ledgerKey(dataset, request.etag),
    JSON.stringify({ key: request.key, etag: request.etag, output }),
    {
      contentType: 'application/json',
    },
  );
  const { withDrops: _withDrops, status: _status, ...rest } = merged;
  return { status: 'ingested', output, dataset: dataset.name, key: request.key, ...rest };
}

/**
 * The whole ranged ingestion in one process (the CLI, tests): plan, check each range, merge,
 * write each range, finish. The cloud runs the same steps as a Distributed Map; a file that plans
 * as one range is ingested whole.
 */
export async function ingestInRanges(
  stores: IngestStores,
  request: IngestRequest,
  partBytes: number,
): Promise<IngestOutcome> {
  const dataset = datasetForKey(
    request.key,
    datasetDefinitions(request.normalise ?? DEFAULT_NORMALISE_OPTIONS),
  );
  if (!dataset || (await stores.trusted.head(ledgerKey(dataset, request.etag))))
    return ingestFile(stores, request);
  const plan = await planLandingRanges(stores.landing, request.key, partBytes);
  if (plan.ranges.length === 1) return ingestFile(stores, request);
  const jobs = plan.ranges.map((range) => ({
    ...request,
    header: plan.header,
    recordDelimiter: plan.recordDelimiter,
    range,
  }));
  const checks: RangeCheck[] = [];
  for (const job of jobs) checks.push(await checkRange(stores, job));
  const merged = await mergeRanges(stores, request, checks);
  if (merged.status === 'rejected') return merged;
  for (const job of jobs) await writeRange(stores, job, merged.withDrops.includes(job.range.index));
  return finishRanges(stores, request, merged);
}

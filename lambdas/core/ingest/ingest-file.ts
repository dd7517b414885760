import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { finishHash, HASH_SEED_1, HASH_SEED_2, idHash } from '../activation/id-bytes';
import { IdHashSet } from '../activation/id-hash-set';
import { objectStoreSink } from '../activation/audience-sink';
import { type ObjectStore, readObjectText } from '../ports/object-store';
import { DEFAULT_NORMALISE_OPTIONS, type NormaliseOptions } from './column-types';
import { reportCsv, csvEncoder } from './csv-rows';
import { datasetDefinitions, datasetForKey, datasetGroupOf, type DatasetDefinition } from './datasets';
import { parquetEncoder, type RowEncoder } from './parquet-rows';
import {
  type CellValue,
  FileProblem,
  readDatasetBatches,
  type ReadOptions,
  type RowProblem,
} from './read-rows';
import type { SuppressionColumn, SuppressionList } from '../privacy/suppression';

/** How many problems an outcome (and so an event or an email) carries; the report has them all. */
export const FIRST_PROBLEMS = 10;

/** Default share of bad rows above which a file is rejected whole. */
export const DEFAULT_MAX_BAD_SHARE = 0.05;

export interface IngestRequest {
  /** The key in the landing zone (`crm/customers.csv`). */
  readonly key: string;
  /** What identifies this content: the S3 ETag, or a hash of a local file. A second delivery of it is skipped. */
  readonly etag: string;
  /** The ingest date partition, `YYYY-MM-DD` (passed in: the core reads no clock). */
  readonly ingestDate: string;
  /** Share of bad rows (0–1) above which the file is rejected whole. */
  readonly maxBadShare?: number;
  readonly normalise?: NormaliseOptions;
  /** Called now and then with the bytes read so far. */
  readonly onProgress?: (bytes: number) => void;
  /** Erased subjects (privacy): their rows are dropped, so a re-delivered file cannot bring them back. */
  readonly suppression?: SuppressionList;
}

/** Where ingestion reads and writes: the three zones (one folder offline). */
export interface IngestStores {
  readonly landing: ObjectStore;
  readonly trusted: ObjectStore;
  readonly quarantine: ObjectStore;
}

export interface IngestCounts {
  /** Data rows read (after the header). */
  readonly rowsIn: number;
  readonly good: number;
  readonly bad: number;
  /** Exact duplicate rows dropped. */
  readonly duplicates: number;
  /** Rows of erased subjects dropped (the suppression list); counted in none of the above but rowsIn. */
  readonly suppressed?: number;
}

export type IngestOutcome =
  | ({
      readonly status: 'ingested';
      readonly dataset: string;
      readonly key: string;
      /** The trusted-zone object written. */
      readonly output: string;
      /** The quarantine report, when rows were quarantined. */
      readonly report?: string;
      readonly firstProblems: readonly RowProblem[];
    } & IngestCounts)
  | ({
      readonly status: 'rejected';
      readonly dataset?: string;
      readonly key: string;
      readonly reason: string;
      readonly report?: string;
      readonly firstProblems: readonly RowProblem[];
    } & IngestCounts)
  | {
      readonly status: 'already-ingested';
      readonly dataset: string;
      readonly key: string;
      /** The output of the first delivery. */
      readonly output: string;
    };

const NO_COUNTS: IngestCounts = { rowsIn: 0, good: 0, bad: 0, duplicates: 0 };

/** Where the re-delivery ledger lives in the trusted zone. */
export const LEDGER_PREFIX = 'trusted/_ingested/';

/** The ledger entry that makes a second delivery of the same content a no-op. */
export function ledgerKey(dataset: DatasetDefinition, etag: string): string {
  return `${LEDGER_PREFIX}${dataset.name}/${etag.replace(/[^A-Za-z0-9-]/g, '')}.json`;
}

/**
 * The trusted-zone folder a dataset's output goes to (before the `ingest_date=` partition): the
 * Glue table's location, and the only folder the ingest role may write for it.
 */
export function trustedFolderOf(dataset: DatasetDefinition, key?: string): string {
  return dataset.output === 'csv'
    ? `trusted/personalize/${key ? (datasetGroupOf(key) ?? 'default') + '/' : ''}`
    : `trusted/${dataset.name}/`;
}

/** Where a dataset's validated rows go: partitioned by dataset and ingest date. */
export function trustedKeyOf(dataset: DatasetDefinition, request: IngestRequest): string {
  const stem = request.key
    .replace(/\.csv$/i, '')
    .split('/')
    .pop()!;
  const tag = request.etag.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  return `${trustedFolderOf(dataset, request.key)}ingest_date=${request.ingestDate}/${stem}-${tag}.${dataset.output}`;
}

/** The quarantine folder of a landing key: `quarantine/<landing key>/`. */
export function quarantinePrefixOf(key: string): string {
  return `quarantine/${key}/`;
}

/**
 * Ingests one landing file: validates every row against its dataset, drops exact duplicates,
 * writes the good rows to the trusted zone and the bad ones (with a row-level report) to
 * quarantine. A file whose bad share exceeds the threshold, or that is broken as a whole, is
 * rejected: nothing reaches the trusted zone, the report still does, the original stays in landing.
 */
export async function ingestFile(stores: IngestStores, request: IngestRequest): Promise<IngestOutcome> {
  const definitions = datasetDefinitions(request.normalise ?? DEFAULT_NORMALISE_OPTIONS);
  const dataset = datasetForKey(request.key, definitions);
  if (!dataset) {
    const known = definitions.map((d) => d.landingExample).join(', ');
    return {
      status: 'rejected',
      key: request.key,
      reason: `no dataset is declared for ${request.key}; files land as ${known}`,
      firstProblems: [],
      ...NO_COUNTS,
    };
  }
  const ledger = ledgerKey(dataset, request.etag);
  if (await stores.trusted.head(ledger)) {
    const first = JSON.parse(await readObjectText(stores.trusted, ledger)) as { output: string };
    return { status: 'already-ingested', dataset: dataset.name, key: request.key, output: first.output };
  }

  const run = new FileRun(stores, dataset, request);
  const outcome = await run.execute();
  if (outcome.status === 'ingested') {
    await stores.trusted.put(
      ledger,
      JSON.stringify({ key: request.key, etag: request.etag, output: outcome.output }),
      {
        contentType: 'application/json',
      },
    );
  }
  return outcome;
}

/** Thrown through the trusted writer to abort it: a rejected file leaves nothing in the trusted zone. */
class Rejected extends Error {}

/** What one pass over a file (or over one byte range of it) reads and writes. */
export interface RunShape {
  /** Where the bytes come from; by default the whole landing object. */
  readonly source?: () => Promise<AsyncIterable<Uint8Array | string>>;
  readonly read?: ReadOptions;
  /** The trusted object written; undefined: none (a range's check pass). */
  readonly output?: string;
  /** The quarantine folder written; undefined: none (a range's write pass). */
  readonly quarantinePrefix?: string;
  /** Whether the bad-row threshold applies (a range's share is judged on the whole file). */
  readonly threshold: boolean;
  /** Rows whose hash is here are duplicates of rows in an earlier range of the file. */
  readonly drop?: IdHashSet;
  /** Collects the hash of every row kept, for the cross-range duplicate check. */
  readonly hashes?: HashList;
}

/** 64-bit row hashes in order (as `IdHashSet` takes them: signed 32-bit halves), 8 bytes a row. */
export class HashList {
  private words = new Int32Array(1 << 12);
  length = 0;
  push(h1: number, h2: number): void {
    if (2 * this.length + 2 > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[2 * this.length] = h1;
    this.words[2 * this.length + 1] = h2;
    this.length++;
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.words.buffer, 0, this.length * 8);
  }
}

/** One pass over one file, with its two outputs. */
export class FileRun {
  private readonly counts: {
    rowsIn: number;
    good: number;
    bad: number;
    duplicates: number;
    suppressed?: number;
  } = { rowsIn: 0, good: 0, bad: 0, duplicates: 0 };
  private readonly firstProblems: RowProblem[] = [];
  private readonly seen = new IdHashSet(1 << 12);
  private readonly quarantine = new Map<string, Writable>();
  private header: readonly string[] = [];
  private readonly shape: RunShape;

  constructor(
    private readonly stores: IngestStores,
    private readonly dataset: DatasetDefinition,
    private readonly request: IngestRequest,
    shape?: RunShape,
  ) {
    this.shape = shape ?? {
      output: trustedKeyOf(dataset, request),
      quarantinePrefix: quarantinePrefixOf(request.key),
      threshold: true,
    };
  }

  async execute(): Promise<IngestOutcome> {
    const output = this.shape.output;
    const trusted = output
      ? objectStoreSink(this.stores.trusted).openWrite(
          output,
          this.dataset.output === 'csv' ? 'text/csv' : 'application/vnd.apache.parquet',
        )
      : undefined;
    let reason: string | undefined;
    try {
      await this.stream(trusted);
      reason = this.shape.threshold ? this.thresholdReason() : undefined;
      if (reason) throw new Rejected(reason);
      if (trusted) {
        trusted.end();
        await finished(trusted);
      }
    } catch (error) {
      if (trusted) {
        trusted.destroy(error instanceof Error ? error : new Error(String(error)));
        await finished(trusted).catch(() => undefined);
      }
      if (error instanceof FileProblem) {
        reason = error.message;
        const problem = { line: error.line, reason: error.reason };
        await this.writeProblem(problem);
        // The problem that broke the file is what a person reads first.
        const at = this.firstProblems.indexOf(problem);
        if (at >= 0) this.firstProblems.splice(at, 1);
        this.firstProblems.unshift(problem);
      } else if (!(error instanceof Rejected)) {
        await this.closeReport().catch(() => undefined);
        throw error;
      }
    }
    const report = await this.closeReport();
    const base = { dataset: this.dataset.name, key: this.request.key, report, ...this.counts };
    const firstProblems = this.firstProblems.slice(0, FIRST_PROBLEMS);
    if (reason !== undefined) return { status: 'rejected', reason, firstProblems, ...base };
    return { status: 'ingested', output: output ?? '', firstProblems, ...base };
  }

  private async stream(trusted: Writable | undefined): Promise<void> {
    const source = this.shape.source
      ? await this.shape.source()
      : await this.stores.landing.get(this.request.key);
    let encoder: RowEncoder | undefined;
    const flush = async (chunks: Uint8Array[]) => {
      if (!trusted) return;
      for (const chunk of chunks) if (!trusted.write(chunk)) await once(trusted, 'drain');
    };
    const { drop, hashes } = this.shape;
    let lastProgress = 0;
    let readColumns: readonly SuppressionColumn[] = [];
    const suppression = this.request.suppression?.size ? this.request.suppression : undefined;
    for await (const records of readDatasetBatches(source, this.dataset, this.request.key, this.shape.read)) {
      for (const record of records) {
        if (record.kind === 'header') {
          this.header = record.written;
          readColumns = record.columns;
          const columns = record.columns.map((c) => ({ name: c.name, storage: c.type.storage }));
          encoder =
            this.dataset.output === 'csv' ? csvEncoder(columns.map((c) => c.name)) : parquetEncoder(columns);
          continue;
        }
        this.counts.rowsIn++;
        if (record.bytes - lastProgress >= 1 << 20) {
          lastProgress = record.bytes;
          this.request.onProgress?.(record.bytes);
        }
        if (record.kind === 'invalid') {
          this.counts.bad++;
          for (const problem of record.problems) await this.writeProblem(problem);
          await this.writeRawRow(record.line, record.raw);
          continue;
        }
        if (suppression?.suppressesRow(readColumns, record.values)) {
          this.counts.suppressed = (this.counts.suppressed ?? 0) + 1;
          continue;
        }
        hashRow(record.values);
        if (!this.seen.add(idHash[0]!, idHash[1]!) || drop?.has(idHash[0]!, idHash[1]!)) {
          this.counts.duplicates++;
          continue;
        }
        hashes?.push(idHash[0]!, idHash[1]!);
        this.counts.good++;
        if (!trusted) continue;
        // Each row goes into the encoder's column buffers at once: no batch of row objects is kept.
        const ready = encoder!.add(record.values);
        if (ready) await flush(ready);
      }
    }
    await flush(encoder!.finish());
  }

  private thresholdReason(): string | undefined {
    return thresholdReason(this.request, this.counts);
  }

  /** A quarantine CSV, opened on first use with its header row. */
  private openQuarantine(name: 'report.csv' | 'rows.csv', header: readonly string[]): Writable | undefined {
    if (this.shape.quarantinePrefix === undefined) return undefined;
    let writer = this.quarantine.get(name);
    if (!writer) {
      writer = objectStoreSink(this.stores.quarantine).openWrite(
        `${this.shape.quarantinePrefix}${name}`,
        'text/csv',
      );
      writer.write(reportCsv([header]));
      this.quarantine.set(name, writer);
    }
    return writer;
  }

  private async writeProblem(problem: RowProblem): Promise<void> {
    if (this.firstProblems.length < FIRST_PROBLEMS) this.firstProblems.push(problem);
    const report = this.openQuarantine('report.csv', REPORT_HEADER);
    if (!report) return;
    const line = reportCsv([
      [this.request.key, problem.line, problem.column ?? '', problem.value ?? '', problem.reason],
    ]);
    if (!report.write(line)) await once(report, 'drain');
  }

  /** The bad row itself, as read, so it can be fixed and dropped again. */
  private async writeRawRow(line: number, raw: readonly string[] | undefined): Promise<void> {
    const rows = this.openQuarantine('rows.csv', ['line', ...this.header]);
    if (!rows) return;
    if (!rows.write(reportCsv([[line, ...(raw ?? [])]]))) await once(rows, 'drain');
  }

  /** Ends the quarantine files; returns the report's key, or undefined when nothing was quarantined. */
  private async closeReport(): Promise<string | undefined> {
    const writers = [...this.quarantine.values()];
    for (const writer of writers) writer.end();
    await Promise.all(writers.map((writer) => finished(writer)));
    return this.quarantine.has('report.csv') ? `${this.shape.quarantinePrefix}report.csv` : undefined;
  }
}

/** The columns of a quarantine report. */
export const REPORT_HEADER = ['file', 'line', 'column', 'value', 'reason'] as const;

/** Why a file with these counts is rejected for its share of bad rows, or undefined. */
export function thresholdReason(request: IngestRequest, counts: IngestCounts): string | undefined {
  const maxShare = request.maxBadShare ?? DEFAULT_MAX_BAD_SHARE;
  if (counts.rowsIn === 0 || counts.bad / counts.rowsIn <= maxShare) return undefined;
  const share = ((100 * counts.bad) / counts.rowsIn).toFixed(1);
  return `${request.key}: ${counts.bad} of ${counts.rowsIn} rows (${share} %) are invalid, more than the ${(100 * maxShare).toFixed(1)} % allowed, so the file was rejected whole`;
}

/** Scratch space to hash a number by its 64 bits. */
const NUMBER_BITS = new Float64Array(1);
const NUMBER_WORDS = new Uint32Array(NUMBER_BITS.buffer);

/** The two hash lanes while a row is hashed. */
let lane1 = 0;
let lane2 = 0;

function mix(c: number): void {
  lane1 = Math.imul(lane1 ^ c, 0x01000193);
  lane2 = Math.imul(lane2 ^ c, 0x5bd1e995);
  lane2 ^= lane2 >>> 15;
}

/**
 * The 64-bit hash of a normalised row, into `idHash`: the activation core's two hash lanes, fed
 * with each string's UTF-16 code units, each number's (or timestamp's milliseconds') 64 bits
 * after a type tag, and a separator after each cell, so no joined string, byte copy or
 * number-to-text conversion is made. ("ab", "c") and ("a", "bc") differ by the separator.
 */
function hashRow(values: readonly CellValue[]): void {
  lane1 = HASH_SEED_1;
  lane2 = HASH_SEED_2;
  let length = 0;
  for (let v = 0; v < values.length; v++) {
    const value = values[v]!;
    if (typeof value === 'string') {
      for (let i = 0; i < value.length; i++) mix(value.charCodeAt(i));
      length += value.length;
    } else if (value !== null) {
      NUMBER_BITS[0] = typeof value === 'number' ? value : value.getTime();
      // 0x10000 and up is no UTF-16 code unit: a number never hashes like a string.
      mix(typeof value === 'number' ? 0x10001 : 0x10002);
      mix(NUMBER_WORDS[0]!);
      mix(NUMBER_WORDS[1]!);
      length += 3;
    }
    // 0x1f (unit separator) ends each cell; a null cell is the separator alone.
    mix(0x1f);
    length += 1;
  }
  finishHash(lane1, lane2, length, 0);
}

import type { KeptBatchStore } from '../ports/kept-batch-store';
import type { TraitSink } from '../ports/trait-sink';
import { BatchBuilder, type BatchOutput } from './batcher';
import { Dispatcher } from './dispatcher';
import { SEGMENT_LIMITS, type SegmentLimits } from './limits';
import { UserFacingError } from '../errors';
import { refuseBrokenScoreFiles } from './score-file-check';
import { readScoreRows, type ScoreColumns } from './score-rows';
import { buildIdentify, type TraitNames } from './traits';
import { ZERO_COUNTS, type PropensityModel, type SyncCounts } from './types';

/** One score file to push. */
export interface ScoreSource {
  readonly model: PropensityModel;
  /** How to name it in messages: a file name or an S3 key. */
  readonly name: string;
  /** The file's bytes from an offset (0 for the whole file). */
  open(fromByte: number): Promise<AsyncIterable<Uint8Array | string>>;
}

/**
 * Where a run stopped, to continue it in another invocation. Plain JSON, so a Step Functions
 * loop can pass it back unchanged; it carries the counts so far so the totals stay whole.
 */
export interface SyncCursor {
  /** Index in the run's sources of the file to continue. */
  readonly source: number;
  /** Bytes of that file already pushed (or kept). */
  readonly byte: number;
  /** Lines of that file already read. */
  readonly line: number;
  readonly columns?: ScoreColumns;
  readonly counts: SyncCounts;
  readonly invalidRows: number;
}

/** A row that was not pushed, named for the person who has to fix the file. */
export interface InvalidRowReport {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
}

export interface SyncOptions {
  readonly run: string;
  /** ISO 8601 time of scoring. */
  readonly scoredAt: string;
  readonly sources: readonly ScoreSource[];
  readonly sink: TraitSink;
  readonly kept: KeptBatchStore;
  readonly traitNames?: TraitNames;
  readonly limits?: SegmentLimits;
  /** Batches in flight at once (memory is about this × 500 KB). Default 16. */
  readonly window?: number;
  /** Asked between rows; true makes the run finish what is in flight and return a cursor. */
  readonly shouldStop?: () => boolean;
  /** Continue a previous invocation. */
  readonly cursor?: SyncCursor;
  readonly onInvalidRow?: (row: InvalidRowReport) => void;
  /** Told as batches settle and files advance. */
  readonly onProgress?: (progress: {
    readonly source: number;
    readonly byte: number;
    readonly counts: SyncCounts;
  }) => void;
  /** How many invalid rows the result lists (all are counted and passed to onInvalidRow). Default 100. */
  readonly maxInvalidSamples?: number;
  /** Erased subjects (privacy): true for a customer ID that must never be sent; its rows are skipped. */
  readonly suppressed?: (customerId: string) => boolean;
}

export interface SyncResult {
  /** False when `shouldStop` ended the invocation early: call again with `cursor`. */
  readonly done: boolean;
  /** Totals since the start of the run, previous invocations included. */
  readonly counts: SyncCounts;
  readonly invalidRows: number;
  /** The first invalid rows of this invocation. */
  readonly invalidRowSamples: readonly InvalidRowReport[];
  readonly cursor?: SyncCursor;
}

/**
 * Streams score files into Segment `identify` calls: rows → events → size-checked batches →
 * the sink, with a bounded window in flight. Failed batches and refused events are kept for
 * replay; invalid rows are reported. Memory does not grow with the file.
 */
export async function syncScores(options: SyncOptions): Promise<SyncResult> {
  const start = options.cursor ?? { source: 0, byte: 0, line: 0, counts: ZERO_COUNTS, invalidRows: 0 };
  const maxSamples = options.maxInvalidSamples ?? 100;
  const samples: InvalidRowReport[] = [];
  let invalidRows = start.invalidRows;
  let position = { source: start.source, byte: start.byte };
  const dispatcher = new Dispatcher({
    run: options.run,
    sink: options.sink,
    kept: options.kept,
    window: options.window ?? 16,
    counts: start.counts,
    onSettled: (counts) => options.onProgress?.({ ...position, counts }),
  });
  const builderLimits = options.limits ?? SEGMENT_LIMITS;
  const reportInvalid = (report: InvalidRowReport): void => {
    invalidRows += 1;
    if (samples.length < maxSamples) samples.push(report);
    options.onInvalidRow?.(report);
  };

  // A new run is checked whole before its first event leaves; a resumed one was checked already.
  if (!options.cursor) await refuseBrokenScoreFiles(options.sources);

  try {
    for (let index = start.source; index < options.sources.length; index += 1) {
      const source = options.sources[index]!;
      const resume = index === start.source ? start : undefined;
      let read = { byte: resume?.byte ?? 0, line: resume?.line ?? 0, columns: resume?.columns };
      position = { source: index, byte: read.byte };
      const builder = new BatchBuilder(builderLimits);
      const rows = readScoreRows(await source.open(read.byte), read);
      for await (const row of rows) {
        if (row.kind === 'columns') {
          read = { ...read, columns: row.columns };
          continue;
        }
        if (row.kind === 'broken') {
          // Checked before the run started, so the file changed while it was being pushed.
          throw new UserFacingError(`${row.reason}; the file changed while it was being pushed`, {
            location: `${source.name} line ${row.line}`,
          });
        }
        if (row.kind === 'invalid') {
          reportInvalid({ source: source.name, line: row.line, reason: row.reason });
          // A row the CSV parser skipped has no offset; the next good row moves the cursor past it.
          if (row.endByte === undefined) continue;
        } else if (options.suppressed?.(row.customerId)) {
          // An erased subject: never sent, and not an error either.
        } else {
          const event = buildIdentify({
            ...row,
            model: source.model,
            run: options.run,
            scoredAt: options.scoredAt,
            ...traitNamesOf(options),
          });
          const output = builder.add(event);
          for (const batch of output.batches) await dispatcher.send(batch);
          // Found before sending and reported with its line: replaying it could never succeed.
          if (output.rejected)
            reportInvalid({ source: source.name, line: row.line, reason: tooLarge(output, builderLimits) });
        }
        read = { ...read, byte: row.endByte ?? read.byte, line: row.line };
        position = { source: index, byte: read.byte };
        if (options.shouldStop?.()) {
          const last = builder.flush();
          if (last) await dispatcher.send(last);
          await dispatcher.drain();
          const cursor: SyncCursor = { source: index, ...read, counts: dispatcher.counts, invalidRows };
          return { done: false, counts: dispatcher.counts, invalidRows, invalidRowSamples: samples, cursor };
        }
      }
      const last = builder.flush();
      if (last) await dispatcher.send(last);
    }
    await dispatcher.drain();
  } catch (error) {
    // Let what is in flight settle (and be kept) before reporting the failure.
    await dispatcher.drain().catch(() => undefined);
    throw error;
  }
  return { done: true, counts: dispatcher.counts, invalidRows, invalidRowSamples: samples };
}

/** Why an event was refused for its size, without the customer ID (reports and logs never hold one). */
function tooLarge(output: BatchOutput, limits: SegmentLimits): string {
  const bytes = Buffer.byteLength(output.rejected!.event).toLocaleString('en-US');
  const limit = limits.maxEventBytes.toLocaleString('en-US');
  return `its Segment event would be ${bytes} bytes, over Segment's limit of ${limit} bytes per event (is customer_id a real ID?)`;
}

function traitNamesOf(options: SyncOptions): { traitNames?: TraitNames } {
  return options.traitNames ? { traitNames: options.traitNames } : {};
}

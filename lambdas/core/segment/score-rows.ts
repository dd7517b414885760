import { parse, type CsvError } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import { UserFacingError } from '../errors';

/** Where `customer_id` and `score` sit in each record. */
export interface ScoreColumns {
  readonly customerId: number;
  readonly score: number;
}

/** Without a header, SageMaker batch transform (JoinSource=Input) writes `customer_id,score`. */
export const POSITIONAL_COLUMNS: ScoreColumns = { customerId: 0, score: 1 };

/** A valid row. `endByte` is the offset just past it: resuming there starts at the next row. */
export interface ScoreRow {
  readonly kind: 'score';
  readonly line: number;
  readonly customerId: string;
  readonly score: number;
  readonly endByte: number;
}

/** A row that cannot be pushed, with the reason. It is reported, never dropped silently. */
export interface InvalidRow {
  readonly kind: 'invalid';
  readonly line: number;
  readonly reason: string;
  /** Offset just past the row, when the parser could tell. */
  readonly endByte?: number;
}

/** Where to start reading, to resume a file part-way. */
export interface ReadPosition {
  /** Bytes already consumed before this stream (the stream starts there). */
  readonly byte: number;
  /** Lines already consumed before this stream, so reported line numbers stay those of the file. */
  readonly line: number;
  /** Column positions learnt from the header; unknown at the start of a file. */
  readonly columns?: ScoreColumns;
}

/** Emitted once the header (or its absence) is known, so a cursor can carry the columns. */
export interface ColumnsKnown {
  readonly kind: 'columns';
  readonly columns: ScoreColumns;
}

export type ScoreRecord = ScoreRow | InvalidRow | ColumnsKnown;

/**
 * Streams the rows of one score CSV (`customer_id,score`, header optional, extra columns allowed
 * when there is a header), validating each: an empty customer ID, a score that is not a number
 * in [0, 1], a wrong column count or broken quoting become `InvalidRow`s with their line number.
 */
export async function* readScoreRows(
  source: AsyncIterable<Uint8Array | string>,
  position: ReadPosition = { byte: 0, line: 0 },
  /** The file's name, for messages. */
  name = 'the score file',
): AsyncGenerator<ScoreRecord> {
  const skipped: InvalidRow[] = [];
  const parser = parse({
    info: true,
    bom: position.byte === 0,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n'],
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      const lines = typeof error?.['lines'] === 'number' ? error['lines'] : 0;
      skipped.push({
        kind: 'invalid',
        line: position.line + lines,
        reason: `not valid CSV (${error?.message ?? 'unreadable record'})`,
      });
    },
  });
  // pipeline, not pipe: a read error reaches the parser (and this loop), and leaving the loop
  // early closes the source (an S3 body, a file).
  pipeline(Readable.from(source), parser, () => undefined);
  let columns = position.columns;
  if (columns) yield { kind: 'columns', columns };
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number; bytes: number };
  }>) {
    const line = position.line + info.lines;
    // Skipped records are announced while the parser runs ahead; report them in file order.
    while (skipped.length > 0 && skipped[0]!.line < line) yield skipped.shift()!;
    const endByte = position.byte + info.bytes;
    if (!columns) {
      columns = columnsOf(record, name) ?? POSITIONAL_COLUMNS;
      yield { kind: 'columns', columns };
      if (columns !== POSITIONAL_COLUMNS) continue;
    }
    yield validateRow(record, columns, line, endByte);
  }
  yield* skipped.splice(0);
}

/** The columns named by a header row, or undefined when the first row is data. */
function columnsOf(first: readonly string[], name: string): ScoreColumns | undefined {
  const names = first.map((name) => name.toLowerCase());
  const customerId = names.indexOf('customer_id');
  if (customerId < 0) return undefined;
  const score = names.indexOf('score');
  if (score < 0) {
    throw new UserFacingError(`the header has customer_id but no score column (found: ${first.join(',')})`, {
      location: `${name} line 1`,
    });
  }
  return { customerId, score };
}

/** A plain decimal (optionally with an exponent): no hex, no 'Infinity', no blank. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function validateRow(
  record: readonly string[],
  columns: ScoreColumns,
  line: number,
  endByte: number,
): ScoreRow | InvalidRow {
  const invalid = (reason: string): InvalidRow => ({ kind: 'invalid', line, reason, endByte });
  const needed = Math.max(columns.customerId, columns.score) + 1;
  if (record.length < needed || (columns === POSITIONAL_COLUMNS && record.length !== 2)) {
    return invalid(`expected the columns customer_id,score but found ${record.length} column(s)`);
  }
  const customerId = record[columns.customerId]!;
  const rawScore = record[columns.score]!;
  if (customerId === '') return invalid('customer_id is empty');
  const score = DECIMAL.test(rawScore) ? Number(rawScore) : Number.NaN;
  if (!(score >= 0 && score <= 1)) {
    return invalid(`score '${rawScore.slice(0, 40)}' is not a number between 0 and 1`);
  }
  return { kind: 'score', line, customerId, score, endByte };
}

/** Drops the first `count` bytes of a stream: resumes a file without a ranged read. */
export async function* skipBytes(
  source: AsyncIterable<Uint8Array | string>,
  count: number,
): AsyncGenerator<Uint8Array> {
  let toSkip = count;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (toSkip >= bytes.length) {
      toSkip -= bytes.length;
      continue;
    }
    yield toSkip > 0 ? bytes.subarray(toSkip) : bytes;
    toSkip = 0;
  }
}

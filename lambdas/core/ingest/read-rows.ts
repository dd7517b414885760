import { Readable, Transform, pipeline } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { UserFacingError } from '../errors';
import { type ColumnDefinition, type DatasetDefinition, EXTRA_COLUMN_TYPE } from './datasets';

/** A normalised cell: text, a number, a timestamp, or null for an empty optional cell. */
export type CellValue = string | number | Date | null;

/** One problem in one row: what a person needs to fix it. */
export interface RowProblem {
  readonly line: number;
  /** The column, when the problem is in one cell. */
  readonly column?: string;
  /** The cell as it was, cut to REPORTED_VALUE_LENGTH characters. Reports only: never in events or logs. */
  readonly value?: string;
  /** What is wrong, without the value, so it can go into an email or a log. */
  readonly reason: string;
}

/** The columns of the rows that follow, in output order: the declared ones, then kept extras. */
export interface HeaderRecord {
  readonly kind: 'header';
  readonly columns: readonly ColumnDefinition[];
  /** The header as written, for reports of bad rows. */
  readonly written: readonly string[];
}

export interface GoodRow {
  readonly kind: 'row';
  readonly line: number;
  /** One value per output column. */
  readonly values: readonly CellValue[];
  /** Bytes of the file consumed so far, for progress. */
  readonly bytes: number;
}

export interface BadRow {
  readonly kind: 'invalid';
  readonly line: number;
  readonly problems: readonly RowProblem[];
  /** The fields as read, when the row could be split into fields. */
  readonly raw?: readonly string[];
  readonly bytes: number;
}

export type ValidatedRecord = HeaderRecord | GoodRow | BadRow;

/** Reports keep values short: a 5 MB cell must not make a 5 MB report line. */
export const REPORTED_VALUE_LENGTH = 200;

/**
 * A problem with the whole file (no header, wrong columns, broken quoting): nothing in it can be
 * trusted, so it is rejected whole. The message names the file and line.
 */
export class FileProblem extends UserFacingError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason, { location: `${file} line ${line}` });
  }
}

/**
 * Streams a landing file through its dataset definition: UTF-8 (optional BOM, CRLF or LF), RFC
 * 4180 quoting with quoted newlines, header checked against the declared columns, then every cell
 * normalised by its column type. Yields the header, then each row as good or bad (with every
 * problem it has). Throws a FileProblem for what breaks the whole file.
 */
export async function* readDatasetRows(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  dataset: DatasetDefinition,
  /** The file's name in messages: the landing key or the local path. */
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<ValidatedRecord> {
  for await (const batch of readDatasetBatches(source, dataset, file, options)) yield* batch;
}

/** Where a part of a file starts, when a large file is read in byte ranges (see `range-plan.ts`). */
export interface ReadOptions {
  /**
   * The header, for a part that does not start with it: the part's first record is then a row.
   * The header is still checked, so every part reports the same header problems.
   */
  readonly header?: string;
  /**
   * Lines of the file before this part, so line numbers are those of the whole file. Given (0 for
   * the first part), it marks the read as a part: a part may hold no rows.
   */
  readonly linesBefore?: number;
  /** The file's record delimiter, for a part: found on the header line, not guessed from the part. */
  readonly recordDelimiter?: '\n' | '\r\n';
}

/**
 * `readDatasetRows` in batches (as many records as the parser has ready, at most BATCH): one
 * await per batch instead of one per row, which is most of what iterating row by row costs.
 */
export async function* readDatasetBatches(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  dataset: DatasetDefinition,
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<ValidatedRecord[]> {
  const skipped: CsvError[] = [];
  const linesBefore = options.linesBefore ?? 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    ...(options.recordDelimiter ? { record_delimiter: options.recordDelimiter } : {}),
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (error) {
        if (typeof error['lines'] === 'number') error['lines'] += linesBefore;
        skipped.push(error);
      }
    },
  });
  // The line and byte counts ride at the end of each record, appended as the parser hands it on:
  // what `on_record`'s context holds (the parser's `info`, updated in place), without the two
  // objects csv-parse spreads for that context on every record.
  const info = (parser as unknown as { info: { lines: number; bytes: number } }).info;
  parser.push = (record: unknown): boolean => {
    if (record !== null) (record as number[]).push(info.lines + linesBefore, info.bytes);
    return Transform.prototype.push.call(parser, record);
  };
  // pipeline, not pipe: a read error reaches the parser, and leaving the loop early closes the source.
  // A stream (an S3 body, a file) is piped as it is: wrapping it in Readable.from would add an
  // async iterator and a promise per chunk.
  pipeline(source instanceof Readable ? source : Readable.from(source), parser, () => undefined);

  let header: Header | undefined;
  if (options.header !== undefined) {
    const written = parseHeaderLine(options.header);
    header = headerOf(written, dataset, file, 1);
    yield [{ kind: 'header', columns: header.columns, written: header.written }];
  }
  let lastLine = linesBefore;
  let bytes = 0;
  for await (const records of recordBatches<(string | number)[]>(parser)) {
    const out: ValidatedRecord[] = [];
    for (const fields of records) {
      const consumed = fields.pop() as number;
      const line = fields.pop() as number;
      const record = fields as string[];
      // The parser runs ahead: report the records it skipped before this one, in file order.
      for (const bad of skippedRows(skipped, file, lastLine, bytes, line)) out.push(bad);
      bytes = consumed;
      if (!header) {
        header = headerOf(record, dataset, file, line);
        out.push({ kind: 'header', columns: header.columns, written: header.written });
      } else {
        out.push(validateRow(record, header, line, bytes));
      }
      lastLine = line;
    }
    yield out;
  }
  const tail = [...skippedRows(skipped, file, lastLine, bytes, Infinity)];
  if (tail.length > 0) yield tail;
  if (!header) throw new FileProblem(file, 1, 'the file is empty: it holds no header and no rows');
  // A part of a file (linesBefore given) may hold no rows; a whole file must.
  if (options.linesBefore === undefined && lastLine <= 1) {
    throw new FileProblem(file, 1, 'the file holds a header but no rows');
  }
}

/** Most records handed on at once. */
const BATCH = 4096;

/**
 * The records a readable has buffered, in batches, waiting only when it has none: `for await`
 * over the stream itself costs a few promises per record.
 */
async function* recordBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let ended = false;
  let failure: unknown;
  let wake = () => {};
  const onReadable = () => wake();
  const onEnd = () => {
    ended = true;
    wake();
  };
  const onError = (error: unknown) => {
    failure = error;
    wake();
  };
  stream.on('readable', onReadable);
  stream.on('end', onEnd);
  stream.on('error', onError);
  try {
    for (;;) {
      const batch: T[] = [];
      let item: T | null;
      while (batch.length < BATCH && (item = stream.read() as T | null) !== null) batch.push(item);
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = () => {};
    }
  } finally {
    stream.off('readable', onReadable);
    stream.off('end', onEnd);
    stream.off('error', onError);
    if (!ended) stream.destroy();
  }
}

/** The fields of a header line given on its own (a part of a file read in ranges). */
function parseHeaderLine(line: string): string[] {
  const records = parseSync(line, { bom: true, relax_column_count: true }) as string[][];
  return records[0] ?? [];
}

/** Rows the parser could not split, as bad rows; an unclosed quote breaks the whole file. */
function* skippedRows(
  skipped: CsvError[],
  file: string,
  lastLine: number,
  bytes: number,
  before: number,
): Generator<BadRow> {
  while (skipped.length > 0 && lineOf(skipped[0]!, lastLine) < before) {
    const error = skipped.shift()!;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
      // csv-parse names the last line of the file; the quote opened on the line after the last good record.
      throw new FileProblem(
        file,
        lastLine + 1,
        'a quote opens here and never closes, so every line after it would be read as one cell; close the quote or remove it',
      );
    }
    const line = lineOf(error, lastLine);
    // csv-parse may report one broken record more than once (one error per stray quote).
    while (
      skipped.length > 0 &&
      skipped[0]!.code !== 'CSV_QUOTE_NOT_CLOSED' &&
      lineOf(skipped[0]!, lastLine) === line
    ) {
      skipped.shift();
    }
    yield {
      kind: 'invalid',
      line,
      bytes,
      problems: [{ line, reason: `not valid CSV: ${csvReason(error)}` }],
    };
  }
}

function lineOf(error: CsvError, lastLine: number): number {
  return typeof error['lines'] === 'number' ? error['lines'] : lastLine + 1;
}

function csvReason(error: CsvError): string {
  // The parser's message quotes the cell; events and logs must not carry customer data.
  return error.message
    .replace(/,? value is [\s\S]*$/, '')
    .replace(/\s*at line \d+\.?$/, '')
    .replace(/^[^:]+:\s*/, '');
}

type Header = ReturnType<typeof headerOf>;

function headerOf(record: readonly string[], dataset: DatasetDefinition, file: string, line: number) {
  const written = record.map((name) => name.trim());
  const expected = dataset.columns.map((c) => c.name).join(',');
  const seen = new Map<string, number>();
  written.forEach((name, index) => {
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new FileProblem(file, line, `the header names the column ${name} twice`);
    seen.set(lower, index);
  });
  if (written.some((name) => name.includes('\uFFFD'))) {
    throw new FileProblem(file, line, 'the header is not UTF-8 text; save the file as UTF-8');
  }
  const declared = new Set(dataset.columns.map((c) => c.name.toLowerCase()));
  const missing = dataset.columns.filter((c) => c.required && !seen.has(c.name.toLowerCase()));
  if (missing.length > 0) {
    const looksLikeData = written.every((name) => !declared.has(name.toLowerCase()));
    throw new FileProblem(
      file,
      line,
      looksLikeData
        ? `the first line is not a header; the file must start with the header ${expected}`
        : `the header lacks the column(s) ${missing.map((c) => c.name).join(', ')}; expected ${expected}`,
    );
  }
  const extras = written.filter((name) => !declared.has(name.toLowerCase()));
  if (extras.length > 0 && dataset.extraColumns === 'reject') {
    throw new FileProblem(
      file,
      line,
      `the header has column(s) this dataset does not declare: ${extras.join(', ')}; expected ${expected}`,
    );
  }
  const columns: ColumnDefinition[] = [
    ...dataset.columns,
    ...extras.map((name) => ({ name, type: EXTRA_COLUMN_TYPE, required: false, description: 'metadata' })),
  ];
  // -1: a declared optional column the file does not have; its values are null.
  const positions = columns.map((c) => seen.get(c.name.toLowerCase()) ?? -1);
  return { columns, positions, written };
}

function validateRow(
  record: readonly string[],
  header: Header,
  line: number,
  bytes: number,
): GoodRow | BadRow {
  if (record.length !== header.written.length) {
    return {
      kind: 'invalid',
      line,
      bytes,
      raw: record,
      problems: [{ line, reason: `has ${record.length} column(s); the header has ${header.written.length}` }],
    };
  }
  const values: CellValue[] = new Array<CellValue>(header.columns.length);
  let problems: RowProblem[] | undefined;
  for (let i = 0; i < header.columns.length; i++) {
    const column = header.columns[i]!;
    const position = header.positions[i]!;
    const raw = position < 0 ? '' : record[position]!;
    if (raw.includes('\uFFFD')) {
      (problems ??= []).push(
        problemOf(
          line,
          column,
          raw,
          'holds bytes that are not UTF-8 (was the file saved as Latin-1?); save it as UTF-8',
        ),
      );
      continue;
    }
    // Only a cell that starts with whitespace (ASCII, or U+00A0 and above) can be blank.
    const first = raw.charCodeAt(0);
    if (raw.length === 0 || ((first <= 32 || first >= 0xa0) && raw.trim() === '')) {
      if (column.required) (problems ??= []).push(problemOf(line, column, raw, 'is empty but required'));
      values[i] = null;
      continue;
    }
    const fast = column.type.fast?.(raw);
    if (fast !== undefined) {
      values[i] = fast;
      continue;
    }
    const parsed = column.type.schema.safeParse(raw);
    if (parsed.success) values[i] = parsed.data;
    else
      (problems ??= []).push(problemOf(line, column, raw, parsed.error.issues[0]?.message ?? 'is not valid'));
  }
  return problems
    ? { kind: 'invalid', line, bytes, raw: record, problems }
    : { kind: 'row', line, values, bytes };
}

function problemOf(line: number, column: ColumnDefinition, raw: string, reason: string): RowProblem {
  return { line, column: column.name, value: raw.slice(0, REPORTED_VALUE_LENGTH), reason };
}

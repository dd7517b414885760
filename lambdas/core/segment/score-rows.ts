import { parse, type CsvError } from 'csv-parse';
import { isUtf8 as isUtf8Bytes } from 'node:buffer';
import { Readable, pipeline } from 'node:stream';

/** Where `customer_id` and `score` sit in each record, and how many columns the header has. */
export interface ScoreColumns {
  readonly customerId: number;
  readonly score: number;
  /** Columns in the header: every row must have exactly as many. */
  readonly count: number;
}

/** The columns a score file's header must name (in any order, any letter case, others allowed). */
export const REQUIRED_COLUMNS = ['customer_id', 'score'] as const;

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

/**
 * The file cannot be read row by row (no header, a quote that swallows the following lines, no
 * rows at all): whatever is read after this point cannot be trusted, so the file is refused whole.
 */
export interface BrokenFile {
  readonly kind: 'broken';
  readonly line: number;
  readonly reason: string;
  /** The file holds no data row at all (empty, or a header alone). */
  readonly empty?: true;
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

/** Emitted once the header is read, so a cursor can carry the columns. */
export interface ColumnsKnown {
  readonly kind: 'columns';
  readonly columns: ScoreColumns;
}

export type ScoreRecord = ScoreRow | InvalidRow | BrokenFile | ColumnsKnown;

/** A record as csv-parse gives it in latin1 mode: one character per byte of the file. */
interface ParsedRecord {
  readonly record: string[];
  readonly raw: string;
  readonly info: { readonly lines: number; readonly bytes: number };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams the rows of one score CSV, validating each. The header comes first and names the
 * columns (`customer_id,score`, in any order, extra columns allowed); every row must have as many
 * columns as the header. Bytes are decoded strictly as UTF-8 row by row, so a row saved in another
 * encoding is reported instead of reaching Segment with U+FFFD in it.
 *
 * A bad row (empty customer ID, a score outside [0, 1], a wrong column count, bytes that are not
 * UTF-8, a stray quote) is an `InvalidRow` with its line. A file whose structure is broken (no
 * header, a quoted field that runs over several lines, no rows) yields one `BrokenFile` and ends.
 */
export async function* readScoreRows(
  source: AsyncIterable<Uint8Array | string>,
  position: ReadPosition = { byte: 0, line: 0 },
): AsyncGenerator<ScoreRecord> {
  const skipped: (InvalidRow | BrokenFile)[] = [];
  const fromStart = position.byte === 0;
  // csv-parse reads latin1, which maps every byte to one character and back, so no byte is lost
  // to a replacement character before each row is decoded strictly as UTF-8 below. (Its
  // `encoding: null` byte mode fails on the first malformed row, in its error path.) The BOM is
  // stripped here, not by csv-parse, which would switch to UTF-8 decoding on seeing it.
  const bom = { bytes: 0 };
  const parser = parse({
    info: true,
    raw: true,
    encoding: 'latin1',
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n'],
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      const end = position.line + (typeof error?.['lines'] === 'number' ? error['lines'] : 0);
      const raw = error?.['raw'];
      const spanned = typeof raw === 'string' ? linesSpanned(raw) : 0;
      skipped.push(
        spanned > 0
          ? quoteRunsOver(end - spanned, spanned)
          : {
              kind: 'invalid',
              line: end,
              reason: `not valid CSV (${error?.message ?? 'unreadable record'})`,
            },
      );
    },
  });
  // pipeline, not pipe: a read error reaches the parser (and this loop), and leaving the loop
  // early closes the source (an S3 body, a file).
  pipeline(Readable.from(asBuffers(source, fromStart ? bom : undefined)), parser, () => undefined);
  let columns = position.columns;
  if (columns) yield { kind: 'columns', columns };
  let rows = 0;
  /** A record csv-parse skipped, as it is reported: before the header, any error breaks the file. */
  const reported = (row: InvalidRow | BrokenFile): InvalidRow | BrokenFile => {
    if (row.kind === 'invalid' && !columns)
      return { kind: 'broken', line: row.line, reason: `the header is ${row.reason}` };
    if (row.kind === 'invalid') rows += 1;
    return row;
  };
  for await (const { record, raw, info } of parser as AsyncIterable<ParsedRecord>) {
    const spanned = linesSpanned(raw);
    const line = position.line + info.lines - spanned;
    // Skipped records are announced while the parser runs ahead; report them in file order.
    while (skipped.length > 0 && skipped[0]!.line < line) {
      const next = reported(skipped.shift()!);
      yield next;
      if (next.kind === 'broken') return;
    }
    if (spanned > 0) {
      yield quoteRunsOver(line, spanned);
      return;
    }
    if (!columns) {
      const header = headerOf(record, raw);
      yield header;
      if (header.kind === 'broken') return;
      columns = header.columns;
      continue;
    }
    if (record.length === 1 && record[0]!.trim() === '') continue;
    rows += 1;
    yield validateRow(record, raw, columns, line, position.byte + bom.bytes + info.bytes);
  }
  for (const row of skipped.splice(0)) {
    const next = reported(row);
    yield next;
    if (next.kind === 'broken') return;
  }
  if (fromStart && !columns)
    yield { kind: 'broken', line: 1, reason: 'the file is empty: it holds no rows', empty: true };
  else if (fromStart && rows === 0)
    yield { kind: 'broken', line: 1, reason: 'the file holds a header but no rows', empty: true };
}

function quoteRunsOver(line: number, spanned: number): BrokenFile {
  return {
    kind: 'broken',
    line,
    reason:
      `a quoted field opens on this line and runs over the next ${spanned} line(s) ` +
      '(an unclosed or stray quote): a score row must fit on one line',
  };
}

/** Line breaks inside a record: 0 for a one-line row. Leading blank lines and the record's own end do not count. */
function linesSpanned(raw: string): number {
  const first = raw.indexOf('\n');
  // The common case, checked without building strings: no line break, or only the row's own end.
  if (first < 0 || first === raw.length - 1) return 0;
  const body = raw.replace(/^[\r\n]+/, '').replace(/\n$/, '');
  return body.split('\n').length - 1;
}

/** Only ASCII: its latin1 reading is its UTF-8 reading, with nothing to decode. */
// eslint-disable-next-line no-control-regex -- the range is every ASCII byte, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** Whether the bytes behind a latin1 string are valid UTF-8 (strictly: no overlong or surrogate forms). */
function isUtf8(latin1: string): boolean {
  return ASCII.test(latin1) || isUtf8Bytes(Buffer.from(latin1, 'latin1'));
}

/** The header's columns, or why the first line is not a usable header. */
function headerOf(record: readonly string[], raw: string): ColumnsKnown | BrokenFile {
  const broken = (reason: string): BrokenFile => ({ kind: 'broken', line: 1, reason });
  if (!isUtf8(raw)) return broken('the header is not valid UTF-8: save the file as UTF-8');
  const names = record.map((field) => utf8(field).trim().toLowerCase());
  const [customerId, score] = REQUIRED_COLUMNS.map((name) => names.indexOf(name));
  const repeated = REQUIRED_COLUMNS.find((name) => names.indexOf(name) !== names.lastIndexOf(name));
  if (customerId! < 0 || score! < 0 || repeated) {
    const found = record.map(utf8).join(',');
    return broken(
      `the first line must be a header naming the columns ${REQUIRED_COLUMNS.join(' and ')}` +
        ` (found '${found.slice(0, 80)}')`,
    );
  }
  return { kind: 'columns', columns: { customerId: customerId!, score: score!, count: record.length } };
}

/** The text of a field read as latin1 (its bytes), once they are known to be UTF-8. */
function utf8(latin1: string): string {
  return ASCII.test(latin1) ? latin1 : Buffer.from(latin1, 'latin1').toString('utf8');
}

/** A plain decimal (optionally with an exponent): no hex, no 'Infinity', no blank. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function validateRow(
  record: readonly string[],
  raw: string,
  columns: ScoreColumns,
  line: number,
  endByte: number,
): ScoreRow | InvalidRow {
  const invalid = (reason: string): InvalidRow => ({ kind: 'invalid', line, reason, endByte });
  if (record.length !== columns.count) {
    return invalid(`the header has ${columns.count} columns but this row has ${record.length}`);
  }
  // One strict decode of the whole row; its fields are then valid UTF-8 too.
  if (!isUtf8(raw)) return invalid('not valid UTF-8 (the file must be saved as UTF-8)');
  const customerId = utf8(record[columns.customerId]!).trim();
  const rawScore = utf8(record[columns.score]!).trim();
  if (customerId === '') return invalid('customer_id is empty');
  const score = DECIMAL.test(rawScore) ? Number(rawScore) : Number.NaN;
  if (!(score >= 0 && score <= 1)) {
    return invalid(`score '${rawScore.slice(0, 40)}' is not a number between 0 and 1`);
  }
  return { kind: 'score', line, customerId, score, endByte };
}

/** The source as Buffers (csv-parse's byte mode wants them), without a leading UTF-8 BOM when `bom` is given. */
async function* asBuffers(
  source: AsyncIterable<Uint8Array | string>,
  bom: { bytes: number } | undefined,
): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = bom ? Buffer.alloc(0) : undefined;
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (head === undefined) {
      yield bytes;
      continue;
    }
    head = Buffer.concat([head, bytes]);
    if (head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) continue;
    if (head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) {
      bom!.bytes = UTF8_BOM.length;
      head = head.subarray(UTF8_BOM.length);
    }
    if (head.length > 0) yield head;
    head = undefined;
  }
  if (head !== undefined && head.length > 0) yield head;
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

/**
 * Splits a landing file too large for one Lambda into byte ranges that start on record
 * boundaries, so each range can be ingested on its own (a Distributed Map item) and give the same
 * rows, with the same line numbers, as the whole file.
 *
 * The rule: a split goes only where a record boundary is proven. The planner reads the file once,
 * from its first byte, with RFC 4180's quoting rules (the ones csv-parse applies): a field that
 * starts with `"` is quoted until a `"` that is not doubled; only a record delimiter outside
 * quotes ends a record. A newline inside quotes is data, never a split. When the quoting breaks
 * those rules (a `"` inside an unquoted field, a character after a closing quote), csv-parse
 * skips the record and the planner can no longer prove where records start, so it stops
 * splitting: the rest of the file stays in the range it is in. A file whose first record ends
 * with a lone CR (classic Mac) is not split either.
 *
 * The same pass counts lines the way csv-parse does (`info.lines`: each CR or LF, a CRLF record
 * delimiter once), so each range starts with the count of lines before it and its quarantine
 * report names the same lines as a whole-file ingestion.
 *
 * Reading the whole file once costs a sequential read at network speed plus a byte loop, far less
 * than validating it; it is what makes both the boundaries and the line numbers exact.
 */

/** One part of a file, `[start, end)` in bytes. */
export interface ByteRange {
  /** 0, 1, 2, … in file order. */
  readonly index: number;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Lines of the file before `start`, as csv-parse counts them. */
  readonly linesBefore: number;
}

export interface RangePlan {
  /** The header line as text (without BOM or delimiter), given to every range but the first. */
  readonly header: string;
  /** The record delimiter, from the header line; ranges are parsed with it. */
  readonly recordDelimiter: '\n' | '\r\n';
  readonly ranges: readonly ByteRange[];
  /** Why splitting stopped before the end, when it did (for the log; the plan is still valid). */
  readonly stoppedSplitting?: string;
}

const BOM = [0xef, 0xbb, 0xbf];
/** A header line longer than this is not a header: the file is then not split. */
const MAX_HEADER_BYTES = 1 << 20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A `"` inside a quoted field: the field's end, or the first half of `""`. */
  QuoteInQuoted,
}

/**
 * Reads a file chunk by chunk and plans ranges of about `partBytes` each. Feed it the file's
 * bytes in order with `push`, then call `finish`.
 */
export class RangePlanner {
  private offset = 0;
  private state = State.FieldStart;
  /** Lines counted so far (csv-parse starts at 1; this counts the increments). */
  private lines = 0;
  private crPending = false;
  /** How many bytes of a BOM were read at the start. */
  private bom = 0;
  private delimiter: '\n' | '\r\n' | undefined;
  private headerBytes: number[] | undefined = [];
  private header = '';
  private broken: string | undefined;
  private readonly starts: { start: number; linesBefore: number }[] = [{ start: 0, linesBefore: 0 }];
  private nextSplit: number;

  constructor(private readonly partBytes: number) {
    if (!(partBytes >= 1)) throw new Error('partBytes must be at least 1');
    this.nextSplit = partBytes;
  }

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) this.byte(chunk[i]!);
  }

  finish(): RangePlan {
    if (this.delimiter === undefined) {
      // No complete header line: one range, which the ingestion then reports on.
      return {
        header: '',
        recordDelimiter: '\n',
        ranges: [{ index: 0, start: 0, end: this.offset, linesBefore: 0 }],
        stoppedSplitting: this.broken ?? 'the file has no complete first line',
      };
    }
    // A split at the very end would make an empty range.
    const starts = this.starts.filter((s, i) => i === 0 || s.start < this.offset);
    return {
      header: this.header,
      recordDelimiter: this.delimiter,
      ranges: starts.map((s, index) => ({
        index,
        start: s.start,
        end: index + 1 < starts.length ? starts[index + 1]!.start : this.offset,
        linesBefore: s.linesBefore,
      })),
      ...(this.broken ? { stoppedSplitting: this.broken } : {}),
    };
  }

  private byte(b: number): void {
    const at = this.offset++;
    if (this.headerBytes) {
      this.headerBytes.push(b);
      if (this.headerBytes.length > MAX_HEADER_BYTES) {
        this.stop('the first line is longer than 1 MB');
        this.headerBytes = undefined;
      }
    }
    // A UTF-8 BOM is not data (csv-parse drops it).
    if (at < 3 && this.bom === at && b === BOM[at]) {
      this.bom++;
      return;
    }
    // The start of a BOM that is not one: those bytes were data.
    if (at > 0 && at < 3 && this.bom === at) this.state = State.Unquoted;
    if (this.crPending) {
      this.crPending = false;
      if (b === LF && this.delimiter !== '\n') {
        // The CR counted the line; CRLF ends the record (and, on the first line, sets the delimiter).
        this.delimiter = '\r\n';
        this.endRecord(at + 1);
        return;
      }
      if (this.delimiter === undefined) this.stop('the first line ends with a lone CR');
    }
    switch (this.state) {
      case State.Quoted:
        if (b === QUOTE) this.state = State.QuoteInQuoted;
        else if (b === CR || b === LF) this.lines++;
        return;
      case State.QuoteInQuoted:
        if (b === QUOTE) {
          this.state = State.Quoted;
          return;
        }
        this.state = State.Unquoted;
        if (b === COMMA) {
          this.state = State.FieldStart;
          return;
        }
        if (b !== CR && b !== LF) {
          this.stop('a character follows a closing quote');
          return;
        }
        this.newline(b, at);
        return;
      case State.FieldStart:
        if (b === QUOTE) {
          this.state = State.Quoted;
          return;
        }
        this.state = State.Unquoted;
        this.unquoted(b, at);
        return;
      case State.Unquoted:
        this.unquoted(b, at);
        return;
    }
  }

  /** A byte of an unquoted field. */
  private unquoted(b: number, at: number): void {
    if (b === COMMA) this.state = State.FieldStart;
    else if (b === QUOTE) this.stop('a quote appears inside an unquoted field');
    else if (b === CR || b === LF) this.newline(b, at);
  }

  /** A CR or LF outside quotes. */
  private newline(b: number, at: number): void {
    this.lines++;
    if (b === CR) {
      this.crPending = true;
      if (this.delimiter === '\n') this.crPending = false;
      return;
    }
    // LF
    if (this.delimiter === undefined) this.delimiter = '\n';
    if (this.delimiter === '\n') this.endRecord(at + 1);
  }

  /** A record ended just before `next`: the next record may start a range. */
  private endRecord(next: number): void {
    this.state = State.FieldStart;
    if (this.headerBytes) {
      let bytes = Buffer.from(this.headerBytes);
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      this.header = bytes.toString('utf8').replace(/\r?\n$/, '');
      this.headerBytes = undefined;
    }
    if (this.broken === undefined && next >= this.nextSplit) {
      this.starts.push({ start: next, linesBefore: this.lines });
      this.nextSplit = next + this.partBytes;
    }
  }

  private stop(reason: string): void {
    this.broken ??= `${reason} (byte ${this.offset - 1}), so no split is made after it`;
  }
}

/** Plans the ranges of a whole file held in memory (tests, small files). */
export function planRanges(bytes: Uint8Array, partBytes: number): RangePlan {
  const planner = new RangePlanner(partBytes);
  planner.push(bytes);
  return planner.finish();
}

import { finishHash, HASH_SEED_1, HASH_SEED_2, NEEDS_QUOTES, NON_ASCII } from './id-bytes';

/**
 * A streaming tokenizer for JSON lines that works on bytes, for files whose single lines hold
 * millions of values (a Personalize batch segment line can list 5 million user IDs).
 *
 * Why not stream-json: measured by bench/activation.bench.ts (Node 24, shared 2-core box) on a 62 MB
 * line of 5M user IDs, stream-json 3.8 only tokenizing takes ~3.1 s, against 0.2–0.3 s for a
 * readline copy of the same bytes (0.10× the copy floor, where the goal for the whole job is 0.5×).
 * It decodes text and allocates a token object per value. This scanner reads the bytes and hands
 * each string to its handler as a byte range without decoding it (and, for arrays, with its hash
 * already computed); parsing and hashing the 5M users this way takes ~0.3 s, and the whole job
 * (de-duplication, CSV files) ~0.55 s.
 *
 * Grammar: full JSON per line (objects, arrays, strings, numbers, true/false/null), whitespace,
 * blank lines skipped, a UTF-8 byte-order mark at the start skipped. A raw line feed always ends a
 * line (JSON lines forbid it inside a value), so one bad line never swallows the next one.
 * Escapes inside strings are only skipped here; `decodeJsonString` decodes and validates them.
 *
 * This file is longer than the project's usual ~300 lines on purpose: it is one state machine, and
 * spreading its states over several files would make the hot loop harder to follow, not easier.
 */

/** Receives the tokens of each line. String contents are byte ranges of `bytes`, valid only during the call. */
export interface JsonEventHandler {
  startObject(): void;
  endObject(): void;
  startArray(): void;
  endArray(): void;
  /** An object key; `escaped` says the range holds backslash escapes. */
  key(bytes: Buffer, start: number, end: number, escaped: boolean): void;
  /**
   * A string value; `escaped` says the range holds backslash escapes. `hashed`: the scanner already
   * ran `hashIdBytes` over the range (strings of arrays, with `hashArrayStrings`), so `idHash` holds it.
   */
  string(bytes: Buffer, start: number, end: number, escaped: boolean, hashed: boolean): void;
  /** A number, `true`, `false` or `null`, as written. */
  literal(text: string): void;
  /** The line (1-based) held one complete JSON value. */
  lineEnd(line: number): void;
  /** The line is not valid JSON or is cut short; forget the events since its start. */
  lineError(line: number, reason: string): void;
}

/** Limits that keep one malformed line from exhausting memory. */
export interface JsonLinesScannerOptions {
  /** Longest string kept, in bytes. Default 1 MiB. */
  readonly maxStringBytes?: number;
  /** Deepest nesting. Default 64. */
  readonly maxDepth?: number;
  /** Hash the strings of arrays while scanning them (see `string`). Default false. */
  readonly hashArrayStrings?: boolean;
}

const LINE_START = 0;
const VALUE = 1;
const VALUE_OR_END_ARRAY = 2;
const KEY_OR_END_OBJECT = 3;
const KEY = 4;
const COLON = 5;
const AFTER_VALUE = 6;
const IN_STRING = 7;
const IN_LITERAL = 8;
const SKIP_LINE = 9;

/** What a byte means inside a string; one table lookup per byte on the hot path. */
const PLAIN = 0;
const QUOTE = 1;
const BACKSLASH = 2;
const LINE_FEED = 3;
const CSV_QUOTED = 4; // comma or CR: plain in JSON, quoted in CSV
const HIGH = 5; // ≥ 0x80: part of a multi-byte UTF-8 character
const STRING_BYTE = new Uint8Array(256).map((_, b) =>
  b === 0x22
    ? QUOTE
    : b === 0x5c
      ? BACKSLASH
      : b === 0x0a
        ? LINE_FEED
        : b === 0x2c || b === 0x0d
          ? CSV_QUOTED
          : b >= 0x80
            ? HIGH
            : PLAIN,
);

const BOM = [0xef, 0xbb, 0xbf];
const OBJECT = 1;
const ARRAY = 2;

const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

function isLiteralByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x2d ||
    c === 0x2b ||
    c === 0x2e
  );
}

function describeByte(c: number): string {
  return c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Push bytes in with `write`, then call `end`. Tokens go to the handler synchronously. */
export class JsonLinesScanner {
  private state = LINE_START;
  private readonly stack: Uint8Array;
  private depth = 0;
  private line = 1;
  /** Absolute offset of the current chunk, and of the current line's first byte. */
  private chunkOffset = 0;
  private lineOffset = 0;
  /** Bytes of the byte-order mark seen at the start; -1 once past it. */
  private bomMatched = 0;
  /** A string or literal cut by a chunk boundary, kept here until it ends. */
  private carry: Buffer = Buffer.allocUnsafe(256);
  private carryLength = 0;
  private carryIsKey = false;
  private carryEscaped = false;
  private carryEscapeNext = false;
  private rejection: string | undefined;
  private readonly maxStringBytes: number;
  private readonly hashArrayStrings: boolean;

  constructor(
    private readonly handler: JsonEventHandler,
    options: JsonLinesScannerOptions = {},
  ) {
    this.maxStringBytes = options.maxStringBytes ?? 1 << 20;
    this.stack = new Uint8Array(options.maxDepth ?? 64);
    this.hashArrayStrings = options.hashArrayStrings ?? false;
  }

  /** The line being read (1-based). */
  get currentLine(): number {
    return this.line;
  }

  /** Lets the handler declare the current line invalid from inside a callback (e.g. a bad escape). */
  rejectLine(reason: string): void {
    this.rejection ??= reason;
  }

  write(chunk: Uint8Array | string): void {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let i = 0;
    // A UTF-8 byte-order mark at the very start is skipped, even when chunks split it.
    while (this.bomMatched >= 0 && i < n) {
      if (buf[i] !== BOM[this.bomMatched]) {
        if (this.bomMatched > 0)
          this.fail('not valid JSON: an incomplete byte-order mark at the start of the file');
        this.bomMatched = -1;
        break;
      }
      i++;
      if (++this.bomMatched === BOM.length) this.bomMatched = -1;
    }
    const stack = this.stack;
    const handler = this.handler;
    while (i < n) {
      const state = this.state;
      if (state === IN_STRING || state === IN_LITERAL) {
        i = state === IN_STRING ? this.resumeString(buf, i) : this.resumeLiteral(buf, i);
        if (this.rejection !== undefined) this.fail(this.rejection);
        continue;
      }
      if (state === SKIP_LINE) {
        const nl = buf.indexOf(0x0a, i);
        if (nl < 0) break;
        this.newLine(nl);
        this.state = LINE_START;
        i = nl + 1;
        continue;
      }
      const c = buf[i]!;
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        i++;
        continue;
      }
      if (c === 0x0a) {
        if (state === AFTER_VALUE && this.depth === 0) handler.lineEnd(this.line);
        else if (state !== LINE_START)
          this.fail(`the line ends before its JSON value is complete (column ${this.column(i)})`);
        this.newLine(i);
        this.state = LINE_START;
        i++;
        continue;
      }
      switch (state) {
        case LINE_START:
        case VALUE:
        case VALUE_OR_END_ARRAY:
          if (c === 0x22) {
            i = this.scanString(buf, i + 1, false);
          } else if (c === 0x7b) {
            if (!this.push(OBJECT, i)) break;
            handler.startObject();
            this.state = KEY_OR_END_OBJECT;
            i++;
          } else if (c === 0x5b) {
            if (!this.push(ARRAY, i)) break;
            handler.startArray();
            this.state = VALUE_OR_END_ARRAY;
            i++;
          } else if (c === 0x5d && state === VALUE_OR_END_ARRAY) {
            this.depth--;
            handler.endArray();
            this.state = AFTER_VALUE;
            i++;
          } else if (isLiteralByte(c)) {
            i = this.scanLiteral(buf, i);
          } else {
            this.fail(`not valid JSON: unexpected ${describeByte(c)} at column ${this.column(i)}`);
            i++;
          }
          break;
        case KEY_OR_END_OBJECT:
        case KEY:
          if (c === 0x22) {
            i = this.scanString(buf, i + 1, true);
          } else if (c === 0x7d && state === KEY_OR_END_OBJECT) {
            this.depth--;
            handler.endObject();
            this.state = AFTER_VALUE;
            i++;
          } else {
            this.fail(
              `not valid JSON: expected a quoted key, found ${describeByte(c)} at column ${this.column(i)}`,
            );
            i++;
          }
          break;
        case COLON:
          if (c === 0x3a) {
            this.state = VALUE;
            i++;
          } else {
            this.fail(
              `not valid JSON: expected ':' after a key, found ${describeByte(c)} at column ${this.column(i)}`,
            );
            i++;
          }
          break;
        case AFTER_VALUE: {
          const top = this.depth === 0 ? 0 : stack[this.depth - 1];
          if (c === 0x2c && top !== 0) {
            this.state = top === OBJECT ? KEY : VALUE;
          } else if (c === 0x7d && top === OBJECT) {
            this.depth--;
            handler.endObject();
          } else if (c === 0x5d && top === ARRAY) {
            this.depth--;
            handler.endArray();
          } else if (top === 0) {
            this.fail(
              `not valid JSON: unexpected ${describeByte(c)} after the end of the JSON value at column ${this.column(i)}`,
            );
          } else {
            this.fail(
              `not valid JSON: expected ',' or '${top === OBJECT ? '}' : ']'}', found ${describeByte(c)} at column ${this.column(i)}`,
            );
          }
          i++;
          break;
        }
      }
      if (this.rejection !== undefined) this.fail(this.rejection);
    }
    this.chunkOffset += n;
  }

  /** Call once after the last chunk: completes or reports the last line. */
  end(): void {
    const state = this.state;
    if (state === AFTER_VALUE && this.depth === 0) {
      this.handler.lineEnd(this.line);
    } else if (state === IN_LITERAL && this.depth === 0) {
      this.finishLiteral();
      if (this.rejection !== undefined) this.fail(this.rejection);
      else if (this.state === AFTER_VALUE) this.handler.lineEnd(this.line);
    } else if (state !== LINE_START && state !== SKIP_LINE) {
      this.fail('the file ends in the middle of this line (truncated)');
    }
    this.state = LINE_START;
  }

  private column(i: number): number {
    return this.chunkOffset + i - this.lineOffset + 1;
  }

  private newLine(i: number): void {
    this.line++;
    this.lineOffset = this.chunkOffset + i + 1;
    this.depth = 0;
    this.rejection = undefined;
  }

  private fail(reason: string): void {
    this.handler.lineError(this.line, reason);
    this.state = SKIP_LINE;
    this.depth = 0;
    this.rejection = undefined;
  }

  private push(kind: number, i: number): boolean {
    if (this.depth >= this.stack.length) {
      this.fail(`nesting deeper than ${this.stack.length} levels at column ${this.column(i)}`);
      return false;
    }
    this.stack[this.depth++] = kind;
    return true;
  }

  /**
   * Scans a string whose content starts at `i`. Returns the index after it. Inside an array, a string
   * followed directly by `,"` loops round to the next one without the state machine: that is the
   * shape of a user list, and it halves the cost per user.
   */
  private scanString(buf: Buffer, i: number, isKey: boolean): number {
    const n = buf.length;
    const inArray = !isKey && this.depth > 0 && this.stack[this.depth - 1] === ARRAY;
    const hashing = inArray && this.hashArrayStrings;
    for (;;) {
      let j = i;
      let escaped = false;
      let h1 = HASH_SEED_1;
      let h2 = HASH_SEED_2;
      let flags = 0;
      while (j < n) {
        const d = buf[j]!;
        const kind = STRING_BYTE[d]!;
        if (kind === PLAIN || kind >= CSV_QUOTED) {
          if (hashing) {
            // The byte step of hashIdBytes, fused into the scan.
            h1 = Math.imul(h1 ^ d, 0x01000193);
            h2 = Math.imul(h2 ^ d, 0x5bd1e995);
            h2 ^= h2 >>> 15;
            if (kind !== PLAIN) flags |= kind === CSV_QUOTED ? NEEDS_QUOTES : NON_ASCII;
          }
          j++;
        } else if (kind === QUOTE) {
          break;
        } else if (kind === BACKSLASH) {
          escaped = true;
          j += 2;
        } else {
          this.fail(`the line ends inside a string that starts at column ${this.column(i - 1)}`);
          return j;
        }
      }
      if (j >= n) {
        // Cut by the chunk boundary: keep what we have and resume in the next chunk.
        this.carryLength = 0;
        this.appendCarry(buf, i, n);
        this.carryIsKey = isKey;
        this.carryEscaped = escaped;
        this.carryEscapeNext = j > n;
        this.state = IN_STRING;
        return n;
      }
      if (j - i > this.maxStringBytes) return this.tooLong(buf, j);
      if (isKey) {
        this.handler.key(buf, i, j, escaped);
        this.state = COLON;
        return j + 1;
      }
      // An escaped string's hash would be of its raw bytes: the consumer hashes the decoded ones.
      const hashed = hashing && !escaped;
      if (hashed) finishHash(h1, h2, j - i, flags);
      this.handler.string(buf, i, j, escaped, hashed);
      if (inArray && buf[j + 1] === 0x2c && buf[j + 2] === 0x22 && this.rejection === undefined) {
        i = j + 3;
        continue;
      }
      this.state = AFTER_VALUE;
      return j + 1;
    }
  }

  private resumeString(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i;
    if (this.carryEscapeNext) {
      j++;
      this.carryEscapeNext = false;
    }
    let escaped = this.carryEscaped;
    while (j < n) {
      const d = buf[j]!;
      if (d === 0x22) break;
      if (d === 0x5c) {
        escaped = true;
        j += 2;
      } else if (d === 0x0a) {
        this.fail('the line ends inside a string');
        return j;
      } else {
        j++;
      }
    }
    if (j >= n) {
      this.carryEscapeNext = j > n;
      this.carryEscaped = escaped;
      this.appendCarry(buf, i, n);
      if (this.carryLength > this.maxStringBytes) return this.tooLong(buf, n);
      return n;
    }
    this.appendCarry(buf, i, j);
    if (this.carryLength > this.maxStringBytes) return this.tooLong(buf, j);
    if (this.carryIsKey) {
      this.handler.key(this.carry, 0, this.carryLength, escaped);
      this.state = COLON;
    } else {
      this.handler.string(this.carry, 0, this.carryLength, escaped, false);
      this.state = AFTER_VALUE;
    }
    return j + 1;
  }

  private tooLong(buf: Buffer, j: number): number {
    this.fail(`a string longer than ${this.maxStringBytes} bytes`);
    return Math.min(j, buf.length);
  }

  private appendCarry(buf: Buffer, from: number, to: number): void {
    const needed = this.carryLength + (to - from);
    if (needed > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.carry.length * 2));
      this.carry.copy(bigger, 0, 0, this.carryLength);
      this.carry = bigger;
    }
    buf.copy(this.carry, this.carryLength, from, to);
    this.carryLength = needed;
  }

  private scanLiteral(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i;
    while (j < n && isLiteralByte(buf[j]!)) j++;
    this.carryLength = 0;
    this.appendCarry(buf, i, j);
    if (j === n) {
      this.state = IN_LITERAL;
      return n;
    }
    this.finishLiteral();
    return j;
  }

  private resumeLiteral(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i;
    while (j < n && isLiteralByte(buf[j]!)) j++;
    this.appendCarry(buf, i, j);
    if (this.carryLength > 400) {
      this.fail('a number or literal longer than 400 characters');
      return j;
    }
    if (j < n) this.finishLiteral();
    return j;
  }

  private finishLiteral(): void {
    const text = this.carry.toString('latin1', 0, this.carryLength);
    if (!LITERAL.test(text)) {
      this.fail(`not valid JSON: '${text.slice(0, 40)}' is not a JSON value`);
      return;
    }
    this.handler.literal(text);
    this.state = AFTER_VALUE;
  }
}

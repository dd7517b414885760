import { decodeJsonString } from './id-bytes';
import { type JsonEventHandler, JsonLinesScanner } from './json-lines-scanner';
import { ValueAssembler } from './value-assembler';

/**
 * Reads Amazon Personalize batch segment output (`<input>.out`, JSON lines) as a stream, in both
 * shapes seen in the wild:
 *
 *   {"input": {"itemAttributes": "ITEMS.genres = \"Action\""}, "output": {"usersList": ["u1", …]}, "error": null}
 *   {"itemAttributes": "…", "output": {"recommendedUsers": [ … ]}}
 *
 * and with item-affinity queries (`{"itemId": "42"}`). User IDs are handed on one by one as byte
 * ranges; a line is never held whole. Every line ends in exactly one `closeLine` call, so nothing is
 * dropped without a trace.
 */

/** One query of a batch segment job. */
export type AudienceQuery = { readonly itemAttributes: string } | { readonly itemId: string };

/** What is known when a line's first user arrives. */
export interface LineHead {
  readonly line: number;
  readonly query: AudienceQuery;
  /** Personalize's error for the line, when it came before the users. */
  readonly error: string | undefined;
}

/**
 * Takes the user IDs of one line, as JSON string contents (`escaped`: holds backslash escapes;
 * `hashed`: `idHash` already holds `hashIdBytes` of the range, computed while scanning).
 */
export interface UserConsumer {
  user(bytes: Buffer, start: number, end: number, escaped: boolean, hashed: boolean): void;
}

/** How a line ended. */
export interface LineSummary {
  readonly line: number;
  readonly query: AudienceQuery | undefined;
  /** Personalize's own error for this query (a non-null `error` field). */
  readonly error: string | undefined;
  /** Why the line could not be read: not JSON, truncated, no query, … */
  readonly problem: string | undefined;
  /** Whether the line had a `usersList` or `recommendedUsers` array. */
  readonly hasUserList: boolean;
  /** Entries of the user list, before any de-duplication. */
  readonly users: number;
  /** Entries of the user list that were not strings or numbers (objects, null, …): skipped. */
  readonly invalidEntries: number;
}

/** Receives the lines of a batch segment output file. */
export interface SegmentLineVisitor {
  /** The line's query is known and its first user is here: where should its users go (undefined: only count). */
  openLine(head: LineHead): UserConsumer | undefined;
  /** Called once per non-blank line, after its last user. */
  closeLine(summary: LineSummary): void;
}

const USER_LISTS = new Set(['usersList', 'recommendedUsers']);
const ASSEMBLED = new Set(['input', 'error', 'itemAttributes', 'itemId']);

function queryOf(value: unknown): AudienceQuery | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { itemAttributes, itemId } = value as Record<string, unknown>;
  if (typeof itemAttributes === 'string' && itemAttributes.trim() !== '') return { itemAttributes };
  if ((typeof itemId === 'string' && itemId !== '') || typeof itemId === 'number')
    return { itemId: String(itemId) };
  return undefined;
}

function errorText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Push the file's bytes in with `write`, then `end`. */
export class BatchSegmentReader implements JsonEventHandler {
  private readonly scanner: JsonLinesScanner;
  private depth = 0;
  private key1: string | undefined;
  private key2: string | undefined;
  private assembler: ValueAssembler | undefined;
  private assembledField = '';
  private inOutput = false;
  private inUsers = false;
  private notObject = false;
  private query: AudienceQuery | undefined;
  private error: string | undefined;
  private hasUserList = false;
  private users = 0;
  private invalidEntries = 0;
  private opened = false;
  private consumer: UserConsumer | undefined;
  /** Users that came before the query (the key order is not guaranteed), copied until it arrives. */
  private pending: { bytes: Buffer; escaped: boolean }[] = [];

  constructor(private readonly visitor: SegmentLineVisitor) {
    this.scanner = new JsonLinesScanner(this, { hashArrayStrings: true });
  }

  write(chunk: Uint8Array | string): void {
    this.scanner.write(chunk);
  }

  end(): void {
    this.scanner.end();
  }

  startObject(): void {
    if (this.assembler) this.assembler.startObject();
    else this.valueStarts('object');
    this.depth++;
  }

  startArray(): void {
    if (this.assembler) this.assembler.startArray();
    else this.valueStarts('array');
    this.depth++;
  }

  endObject(): void {
    this.closeContainer();
  }

  endArray(): void {
    this.closeContainer();
  }

  key(bytes: Buffer, start: number, end: number, escaped: boolean): void {
    if (this.assembler) this.assembler.key(bytes, start, end, escaped);
    else if (this.depth === 1) this.key1 = this.decodeKey(bytes, start, end, escaped);
    else if (this.depth === 2 && this.inOutput) this.key2 = this.decodeKey(bytes, start, end, escaped);
  }

  string(bytes: Buffer, start: number, end: number, escaped: boolean, hashed: boolean): void {
    if (this.inUsers && this.depth === 3) {
      this.user(bytes, start, end, escaped, hashed);
    } else if (this.assembler) {
      this.assembler.string(bytes, start, end, escaped);
      if (this.assembler.done) this.assembled();
    } else {
      const started = this.valueStarts('scalar');
      if (started) {
        started.string(bytes, start, end, escaped);
        this.assembled();
      }
    }
  }

  literal(text: string): void {
    if (this.inUsers && this.depth === 3) {
      // Numeric user IDs are IDs too; null, true and false are not.
      if (text !== 'null' && text !== 'true' && text !== 'false') {
        const bytes = Buffer.from(text, 'latin1');
        this.user(bytes, 0, bytes.length, false, false);
      } else {
        this.users++;
        this.invalidEntries++;
      }
    } else if (this.assembler) {
      this.assembler.literal(text);
      if (this.assembler.done) this.assembled();
    } else {
      const started = this.valueStarts('scalar');
      if (started) {
        started.literal(text);
        this.assembled();
      }
    }
  }

  lineEnd(line: number): void {
    let problem: string | undefined;
    if (this.notObject) problem = 'the line is not a JSON object';
    else if (this.query === undefined)
      problem = 'the line has no query (input.itemAttributes or input.itemId)';
    if (problem === undefined && !this.opened && this.pending.length > 0) {
      const consumer = this.open(line);
      if (consumer)
        for (const { bytes, escaped } of this.pending) consumer.user(bytes, 0, bytes.length, escaped, false);
    }
    this.close(line, problem);
  }

  lineError(line: number, reason: string): void {
    this.close(line, reason);
  }

  /** Routes a value that starts outside any assembled field. Returns the assembler when it starts one. */
  private valueStarts(kind: 'object' | 'array' | 'scalar'): ValueAssembler | undefined {
    const depth = this.depth;
    if (depth === 0) {
      if (kind !== 'object') this.notObject = true;
    } else if (depth === 1 && this.key1 !== undefined) {
      if (ASSEMBLED.has(this.key1)) {
        this.assembler = new ValueAssembler();
        this.assembledField = this.key1;
        if (kind === 'object') this.assembler.startObject();
        else if (kind === 'array') this.assembler.startArray();
        return this.assembler;
      }
      if (this.key1 === 'output' && kind === 'object') this.inOutput = true;
    } else if (depth === 2 && this.inOutput && this.key2 !== undefined && USER_LISTS.has(this.key2)) {
      if (kind === 'array') {
        this.inUsers = true;
        this.hasUserList = true;
      }
    } else if (depth === 3 && this.inUsers) {
      // An object or array where a user ID belongs.
      this.users++;
      this.invalidEntries++;
    }
    return undefined;
  }

  private closeContainer(): void {
    this.depth--;
    if (this.assembler) {
      this.assembler.end();
      if (this.assembler.done) this.assembled();
    } else if (this.depth === 2 && this.inUsers) {
      this.inUsers = false;
    } else if (this.depth === 1 && this.inOutput) {
      this.inOutput = false;
    }
  }

  private assembled(): void {
    const assembler = this.assembler!;
    this.assembler = undefined;
    if (assembler.invalid) this.scanner.rejectLine('a string has an invalid escape sequence');
    const value = assembler.value;
    if (this.assembledField === 'error') this.error = errorText(value);
    else if (this.assembledField === 'input') this.query ??= queryOf(value);
    else this.query ??= queryOf({ [this.assembledField]: value });
  }

  private user(bytes: Buffer, start: number, end: number, escaped: boolean, hashed: boolean): void {
    this.users++;
    if (this.consumer !== undefined) {
      this.consumer.user(bytes, start, end, escaped, hashed);
    } else if (!this.opened) {
      if (this.query !== undefined) {
        // Opening the line may hash other things (the audience key), so this user is hashed again.
        this.open(this.scanner.currentLine)?.user(bytes, start, end, escaped, false);
      } else {
        this.pending.push({ bytes: Buffer.from(bytes.subarray(start, end)), escaped });
      }
    }
  }

  private open(line: number): UserConsumer | undefined {
    this.opened = true;
    this.consumer = this.visitor.openLine({ line, query: this.query!, error: this.error });
    return this.consumer;
  }

  private decodeKey(bytes: Buffer, start: number, end: number, escaped: boolean): string {
    return escaped ? (decodeJsonString(bytes, start, end) ?? '') : bytes.toString('utf8', start, end);
  }

  private close(line: number, problem: string | undefined): void {
    // Only lines that held something are reported; an empty `{}` still counts (it has no query).
    this.visitor.closeLine({
      line,
      query: this.query,
      error: this.error,
      problem,
      hasUserList: this.hasUserList,
      users: this.users,
      invalidEntries: this.invalidEntries,
    });
    this.depth = 0;
    this.key1 = this.key2 = undefined;
    this.assembler = undefined;
    this.inOutput = this.inUsers = this.notObject = this.opened = this.hasUserList = false;
    this.query = this.error = this.consumer = undefined;
    this.users = this.invalidEntries = 0;
    this.pending = [];
  }
}

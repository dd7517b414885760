import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { csvRow } from './csv-file';
import { EndpointIndex } from './endpoint-index';
import {
  decodeJsonString,
  hashIdBytes,
  idHash,
  isWellFormedString,
  isWellFormedUtf8,
  NEEDS_QUOTES,
  NON_ASCII,
} from './id-bytes';
import { type JsonEventHandler, JsonLinesScanner } from './json-lines-scanner';

/**
 * Reads a Pinpoint endpoint export (CreateExportJob: gzipped JSON lines, one endpoint per line, in
 * one or more files) into an EndpointIndex. Only `Id` and `User.UserId` are read; the rest of each
 * line is skipped by the scanner without building objects.
 */

/** One file of the export. Gzip is detected from the bytes, so plain JSON lines work too. */
export interface ExportFile {
  readonly name: string;
  readonly bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** A line of the export that could not be used. */
export interface ExportIssue {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface EndpointExportStats {
  readonly files: number;
  /** Endpoints indexed. */
  readonly endpoints: number;
  /** Distinct users with at least one endpoint. */
  readonly users: number;
  /** Endpoints without `User.UserId`: they cannot be reached by user, so they are left out. */
  readonly endpointsWithoutUser: number;
  /** The first 100 unusable lines. */
  readonly issues: readonly ExportIssue[];
  /** How many unusable lines in all. */
  readonly issueCount: number;
  /** Memory held by the index, in bytes. */
  readonly indexBytes: number;
}

export interface ReadEndpointExportOptions {
  /** Called after each chunk with the compressed bytes read so far, over all files. */
  readonly onProgress?: (bytesRead: number) => void;
}

const MAX_ISSUES = 100;

/** Gunzips the bytes when they start with the gzip magic number; passes them through otherwise. */
export async function* gunzipIfNeeded(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const piped = pipeline(Readable.from(all(), { objectMode: false }), gunzip);
  piped.catch(() => undefined); // The same error surfaces through the iteration below.
  for await (const chunk of gunzip) yield chunk as Buffer;
  await piped;
}

/** Keeps the canonical UTF-8 bytes of one JSON string across chunks. */
class Captured {
  bytes = Buffer.allocUnsafe(256);
  length = -1;
  invalid = false;

  reset(): void {
    this.length = -1;
    this.invalid = false;
  }

  set(bytes: Buffer, start: number, end: number, escaped: boolean): void {
    let source = bytes;
    let from = start;
    let to = end;
    if (escaped) {
      const text = decodeJsonString(bytes, start, end);
      if (text === undefined || !isWellFormedString(text)) {
        this.invalid = true;
        return;
      }
      source = Buffer.from(text, 'utf8');
      from = 0;
      to = source.length;
    }
    const length = to - from;
    if (length > this.bytes.length) this.bytes = Buffer.allocUnsafe(Math.max(length, this.bytes.length * 2));
    source.copy(this.bytes, 0, from, to);
    this.length = length;
  }
}

const ID = Buffer.from('Id');
const USER = Buffer.from('User');
const USER_ID = Buffer.from('UserId');

/** Compares a key with a known ASCII name without making a string (12 keys per endpoint line). */
function keyIs(bytes: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

const OTHER = 0;
const KEY_ID = 1;
const KEY_USER = 2;
const KEY_USER_ID = 3;

class ExportLineHandler implements JsonEventHandler {
  private depth = 0;
  private key1 = OTHER;
  private key2 = OTHER;
  private inUser = false;
  private readonly id = new Captured();
  private readonly user = new Captured();
  file = '';
  endpointsWithoutUser = 0;
  issueCount = 0;
  readonly issues: ExportIssue[] = [];

  constructor(readonly index: EndpointIndex) {}

  startObject(): void {
    if (this.depth === 1 && this.key1 === KEY_USER) this.inUser = true;
    this.depth++;
  }
  startArray(): void {
    this.depth++;
  }
  endObject(): void {
    this.depth--;
    if (this.depth === 1) this.inUser = false;
  }
  endArray(): void {
    this.depth--;
  }
  key(bytes: Buffer, start: number, end: number): void {
    // The keys we look for are ASCII; an escaped key is simply not one of them.
    if (this.depth === 1)
      this.key1 = keyIs(bytes, start, end, ID) ? KEY_ID : keyIs(bytes, start, end, USER) ? KEY_USER : OTHER;
    else if (this.depth === 2 && this.inUser)
      this.key2 = keyIs(bytes, start, end, USER_ID) ? KEY_USER_ID : OTHER;
  }
  string(bytes: Buffer, start: number, end: number, escaped: boolean): void {
    if (this.depth === 1 && this.key1 === KEY_ID) this.id.set(bytes, start, end, escaped);
    else if (this.depth === 2 && this.inUser && this.key2 === KEY_USER_ID)
      this.user.set(bytes, start, end, escaped);
  }
  literal(): void {}

  lineEnd(line: number): void {
    this.store(line);
    this.reset();
  }

  lineError(line: number, reason: string): void {
    this.issue(line, reason);
    this.reset();
  }

  private store(line: number): void {
    const { id, user } = this;
    if (id.invalid || user.invalid) return this.issue(line, 'an ID is not valid Unicode');
    if (id.length <= 0) return this.issue(line, 'the endpoint has no Id');
    if (user.length <= 0) {
      this.endpointsWithoutUser++;
      return;
    }
    hashIdBytes(id.bytes, 0, id.length);
    if (idHash[2]! & NON_ASCII && !isWellFormedUtf8(id.bytes, 0, id.length))
      return this.issue(line, 'the endpoint Id is not valid UTF-8');
    const endpointCsv =
      idHash[2]! & NEEDS_QUOTES
        ? Buffer.from(csvRow([id.bytes.toString('utf8', 0, id.length)]).slice(0, -1))
        : id.bytes.subarray(0, id.length);
    hashIdBytes(user.bytes, 0, user.length);
    if (idHash[2]! & NON_ASCII && !isWellFormedUtf8(user.bytes, 0, user.length))
      return this.issue(line, 'the User.UserId is not valid UTF-8');
    if (!this.index.add(user.bytes, 0, user.length, idHash[1]!, endpointCsv))
      this.issue(line, 'an ID is longer than 65,535 bytes');
  }

  private issue(line: number, reason: string): void {
    this.issueCount++;
    if (this.issues.length < MAX_ISSUES) this.issues.push({ file: this.file, line, reason });
  }

  private reset(): void {
    this.depth = 0;
    this.key1 = this.key2 = OTHER;
    this.inUser = false;
    this.id.reset();
    this.user.reset();
  }
}

/** Builds the userId → endpoint IDs index from the export's files. Memory grows with the index only. */
export async function readEndpointExport(
  files: Iterable<ExportFile> | AsyncIterable<ExportFile>,
  options: ReadEndpointExportOptions = {},
): Promise<{ index: EndpointIndex; stats: EndpointExportStats }> {
  const index = new EndpointIndex();
  const handler = new ExportLineHandler(index);
  let fileCount = 0;
  let bytesRead = 0;
  for await (const file of files) {
    fileCount++;
    handler.file = file.name;
    const scanner = new JsonLinesScanner(handler);
    const counted = (async function* () {
      for await (const chunk of file.bytes) {
        bytesRead += chunk.length;
        yield chunk;
      }
    })();
    for await (const chunk of gunzipIfNeeded(counted)) {
      scanner.write(chunk);
      options.onProgress?.(bytesRead);
    }
    scanner.end();
  }
  return {
    index,
    stats: {
      files: fileCount,
      endpoints: index.endpoints,
      users: index.users,
      endpointsWithoutUser: handler.endpointsWithoutUser,
      issues: handler.issues,
      issueCount: handler.issueCount,
      indexBytes: index.footprintBytes,
    },
  };
}

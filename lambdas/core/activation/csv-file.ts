import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';

/**
 * A one-column CSV file written from byte ranges, for audiences of millions of rows.
 *
 * The fields are written exactly as csv-stringify writes them (RFC 4180, `\n` record delimiter),
 * which the tests check byte for byte: a field holding a comma, a double quote, CR or LF goes through
 * csv-stringify itself; any other field needs no quoting, so its UTF-8 bytes are copied as they are.
 * Going through csv-stringify for every row would cost a string and a call per user; the copy is what
 * lets 5M users be written in well under a second (see bench/activation.bench.ts).
 */

/** The buffer starts at 64 KB and doubles with each flush up to 1 MB: small files stay small. */
const FIRST_BUFFER_BYTES = 64 * 1024;
const MAX_BUFFER_BYTES = 1024 * 1024;

/** The CSV text of one row, as csv-stringify writes it. */
export function csvRow(fields: readonly string[]): string {
  return stringify([fields]);
}

export class CsvFile {
  private buffer = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  private length = 0;
  private rowCount = 0;
  private failure: Error | undefined;

  /** `key` is only kept for the manifest and messages. */
  constructor(
    readonly key: string,
    private readonly stream: Writable,
    readonly header: string,
  ) {
    // Keep the first error: it is rethrown by `close`, and an unhandled 'error' event would crash the process.
    stream.on('error', (error) => {
      this.failure ??= error;
    });
    this.append(Buffer.from(csvRow([header])));
  }

  /** Data rows written so far (the header is not counted). */
  get rows(): number {
    return this.rowCount;
  }

  /** True when the stream wants the writer to wait for 'drain'. */
  get needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  /** Resolves once the stream has room again (or has failed). */
  async drained(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done).on('error', done).on('close', done);
    });
    if (this.failure) throw this.failure;
  }

  /** One row holding one ID, given as UTF-8 bytes; `needsQuotes` from `hashIdBytes`. */
  field(bytes: Uint8Array, start: number, end: number, needsQuotes: boolean): void {
    if (needsQuotes) {
      this.append(
        Buffer.from(
          csvRow([Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')]),
        ),
      );
    } else {
      const length = end - start;
      if (this.length + length + 1 > this.buffer.length) this.flush(length + 1);
      const buffer = this.buffer;
      let at = this.length;
      if (length < 32) {
        for (let i = start; i < end; i++) buffer[at++] = bytes[i]!;
      } else {
        buffer.set(bytes.subarray(start, end), at);
        at += length;
      }
      buffer[at++] = 0x0a;
      this.length = at;
    }
    this.rowCount++;
  }

  /** One row whose CSV bytes (without the line feed) are already escaped. */
  rawRow(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (this.length + length + 1 > this.buffer.length) this.flush(length + 1);
    this.buffer.set(bytes.subarray(start, end), this.length);
    this.length += length;
    this.buffer[this.length++] = 0x0a;
    this.rowCount++;
  }

  /** Ends the file and resolves once it is stored. */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    this.flush(0);
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
  }

  /** Discards the file: the sink must not keep it. */
  abort(): void {
    this.stream.destroy(new Error(`${this.key} was discarded`));
  }

  private append(bytes: Buffer): void {
    if (this.length + bytes.length > this.buffer.length) this.flush(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  /** Hands the buffered bytes to the stream and, unless closing, starts a new buffer of room for `next` bytes. */
  private flush(next: number): void {
    if (this.length > 0) this.stream.write(this.buffer.subarray(0, this.length));
    // The stream keeps a reference to what it was given, so the buffer is never reused.
    const size = Math.max(Math.min(this.buffer.length * 2, MAX_BUFFER_BYTES), next);
    this.buffer = next > 0 ? Buffer.allocUnsafe(size) : Buffer.alloc(0);
    this.length = 0;
  }
}

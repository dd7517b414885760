/** Streams CSV rows to a file in batches, waiting for the disk when the stream is full. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';

export type CsvRecord = readonly (string | number)[];

/** Rows per batch: one csv-stringify call and one write each, instead of one per row. */
const BATCH_ROWS = 2_000;

export class CsvFileWriter {
  private batch: CsvRecord[] = [];
  private written = 0;
  /** A write error seen while nobody was waiting on the stream; thrown at the next flush. */
  private failure: Error | undefined;

  private constructor(private readonly stream: WriteStream) {
    stream.on('error', (error) => (this.failure = error));
  }

  /** Creates the file (and its folder), replacing any previous one, and writes the header. */
  static async open(path: string, columns: readonly string[]): Promise<CsvFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    const writer = new CsvFileWriter(createWriteStream(path));
    // Fail here, naming the file, rather than mid-way through millions of rows.
    await once(writer.stream, 'open');
    writer.stream.write(stringify([columns]));
    return writer;
  }

  /** Data rows written so far (the header not counted). */
  get rows(): number {
    return this.written + this.batch.length;
  }

  async write(record: CsvRecord): Promise<void> {
    this.batch.push(record);
    if (this.batch.length >= BATCH_ROWS) await this.flush();
  }

  async writeAll(records: readonly CsvRecord[]): Promise<void> {
    for (const record of records) this.batch.push(record);
    if (this.batch.length >= BATCH_ROWS) await this.flush();
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.batch.length === 0) return;
    const text = stringify(this.batch as unknown[][]);
    this.written += this.batch.length;
    this.batch = [];
    // Backpressure: millions of rows must not pile up in memory ahead of the disk.
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

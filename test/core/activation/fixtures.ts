import { Readable, Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { AudienceSink } from '../../../lambdas/core/activation/audience-sink';

/** An AudienceSink in memory that honours the sink contract: an object exists only once its stream finished. */
export function memorySink(): AudienceSink & {
  readonly files: Map<string, Buffer>;
  text(key: string): string;
  rows(key: string): string[][];
} {
  const files = new Map<string, Buffer>();
  return {
    files,
    text: (key) => {
      const file = files.get(key);
      if (!file) throw new Error(`no file ${key}; have ${[...files.keys()].join(', ')}`);
      return file.toString('utf8');
    },
    rows(key) {
      return parse(this.text(key)) as string[][];
    },
    openRead: async (key) => Readable.from([files.get(key)!]),
    openWrite(key) {
      const chunks: Buffer[] = [];
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(Buffer.from(chunk));
          callback();
        },
        final(callback) {
          files.set(key, Buffer.concat(chunks));
          callback();
        },
      });
    },
  };
}

/** JSON lines, one object per line, as Personalize writes them. */
export function jsonLines(...records: unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + '\n';
}

/** The text cut into chunks of `size` bytes (not characters): exercises every chunk boundary. */
export function chunksOf(text: string | Buffer, size: number): Buffer[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

/** `{"input": {"itemAttributes": …}, "output": {"usersList": users}, "error": null}` */
export function usersListLine(itemAttributes: string, users: readonly string[]): Record<string, unknown> {
  return { input: { itemAttributes }, output: { usersList: users }, error: null };
}

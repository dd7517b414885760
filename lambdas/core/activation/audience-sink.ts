import { PassThrough, Writable } from 'node:stream';
import type { ObjectStore } from '../ports/object-store';

/**
 * Where audience files go: S3 through the ObjectStore in the Lambda, a folder in the CLI.
 *
 * The contract every sink honours, because a failed or discarded audience must not leave a file that
 * looks complete:
 *  - the object appears (or replaces the previous one) only when the stream finishes without error;
 *  - `finished(stream)` resolves only once the object is stored;
 *  - destroying the stream with an error leaves no new object behind.
 */
export interface AudienceSink {
  openWrite(key: string, contentType: string): Writable;
  /**
   * Reads back a file this sink wrote. Only used in the rare case an audience held repeated users and
   * one of its files must be rewritten without them.
   */
  openRead(key: string): Promise<AsyncIterable<Uint8Array>>;
}

/**
 * A sink over any ObjectStore. The store's `put` streams the body (multipart on S3); the returned
 * Writable finishes only when the put has resolved, and destroying it aborts the put.
 */
export function objectStoreSink(store: ObjectStore, prefix = ''): AudienceSink {
  return {
    openRead: (key: string) => store.get(prefix + key),
    openWrite(key: string, contentType: string): Writable {
      const body = new PassThrough();
      // The body's errors reach the caller through the put and the returned stream, not from here.
      body.on('error', () => undefined);
      const stored = store.put(prefix + key, body, { contentType });
      const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
      const writable = new Writable({
        // Room for a few 1 MB CSV buffers in flight, so the upload proceeds while the next input is parsed.
        highWaterMark: 8 << 20,
        write(chunk: Buffer, _encoding, callback) {
          if (body.write(chunk)) callback();
          else body.once('drain', () => callback());
        },
        final(callback) {
          body.end();
          stored.then(
            () => callback(),
            (error: unknown) => callback(asError(error)),
          );
        },
        destroy(error, callback) {
          // The put sees its body fail and aborts (lib-storage aborts the multipart upload); its
          // rejection is handled below.
          body.destroy(error ?? new Error(`${key} was discarded`));
          callback(error);
        },
      });
      // A put that fails early (no permission, no bucket) must stop the writer, not leave it waiting for 'drain'.
      stored.catch((error: unknown) => writable.destroy(asError(error)));
      return writable;
    },
  };
}

import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { InvalidRowReport } from '../core/segment/sync-scores';
import type { ObjectStore } from '../core/ports/object-store';

/** Rows written in full; past this the report says how many more there were. */
const MAX_REPORTED_ROWS = 100_000;

/**
 * The row-level report of score rows that could not be pushed: `source,line,reason`, streamed to
 * one object, which exists only when there was at least one bad row.
 */
export function invalidRowsReport(store: ObjectStore, key: string) {
  let body: PassThrough | undefined;
  let stored: Promise<void> | undefined;
  let rows = 0;
  return {
    key,
    add(row: InvalidRowReport): void {
      if (!body) {
        body = new PassThrough();
        stored = store.put(key, body, { contentType: 'text/csv' });
        body.write('source,line,reason\n');
      }
      rows += 1;
      if (rows <= MAX_REPORTED_ROWS) body.write(stringify([[row.source, row.line, row.reason]]));
    },
    /** Finishes the object; resolves to its key, or undefined when no row was bad. */
    async close(): Promise<string | undefined> {
      if (!body) return undefined;
      if (rows > MAX_REPORTED_ROWS)
        body.write(stringify([['', '', `${rows - MAX_REPORTED_ROWS} more rows not listed`]]));
      body.end();
      await stored;
      return key;
    },
  };
}

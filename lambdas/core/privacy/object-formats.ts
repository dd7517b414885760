import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import type { StorageType } from '../ingest/column-types';
import { parquetEncoder } from '../ingest/parquet-rows';
import type { CellValue } from '../ingest/read-rows';
import { type ObjectStore, readObject } from '../ports/object-store';
import { csvRecords } from './csv-records';
import type { SubjectMatcher } from './matcher';

/** The formats erasure reads and rewrites. Anything else (emails, HTML) is counted, not read. */
export type ObjectFormat = 'csv' | 'jsonl' | 'json' | 'parquet';

export function formatOf(key: string): ObjectFormat | undefined {
  const name = key.toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.out')) return 'jsonl';
  if (name.endsWith('.json')) return 'json';
  return undefined;
}

/** One record of a subject, as found: a row (column -> value) or a JSON value. */
export interface FoundRecord {
  readonly subject: number;
  readonly record: unknown;
}

/** What one pass over an object found or did. */
export interface ObjectPass {
  /** Records of a subject found (and, in a rewrite, left out). */
  readonly removed: number;
  /** Records kept. */
  readonly kept: number;
  /** The whole object is the subject's (a JSON document about them): delete it rather than rewrite. */
  readonly wholeObject: boolean;
}

/**
 * Reads one object and hands each record of a subject to `found`. With `target`, also writes the
 * object without those records there: CSV and JSON-lines records that are kept are copied byte
 * for byte; Parquet is re-encoded with the same columns and row groups, values unchanged.
 */
export async function passObject(
  store: ObjectStore,
  key: string,
  matcher: SubjectMatcher,
  found: (record: FoundRecord) => void,
  target?: { readonly store: ObjectStore; readonly key: string },
  seen: Seen = () => undefined,
): Promise<ObjectPass> {
  const format = formatOf(key);
  if (format === 'parquet') return passParquet(store, key, matcher, found, target, seen);
  if (format === 'csv') return passCsv(store, key, matcher, found, target, seen);
  if (format === 'json') {
    const text = (await readObject(store, key)).toString('utf8');
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return passJsonLines(store, key, matcher, found, target, seen); // Personalize's queries.json is JSON lines
    }
    const counter = { removed: 0 };
    const cleaned = cleanJson(document, matcher, (subject, record) => {
      counter.removed++;
      found({ subject, record });
    });
    if (cleaned === REMOVE) {
      found({ subject: matcher.matchAny(Object.values(document as object)) ?? 0, record: document });
      return { removed: 1, kept: 0, wholeObject: true };
    }
    seen(deepStrings(target ? cleaned : document));
    if (target && counter.removed > 0) {
      const indent = /^[[{]\r?\n(\s+)/.exec(text)?.[1]?.length ?? 0;
      await target.store.put(
        target.key,
        JSON.stringify(cleaned, null, indent) + (text.endsWith('\n') ? '\n' : ''),
        {
          contentType: 'application/json',
        },
      );
    }
    return { removed: counter.removed, kept: 0, wholeObject: false };
  }
  return passJsonLines(store, key, matcher, found, target, seen);
}

/**
 * Hears the values of every record the pass leaves in place (all of them without a target; the kept
 * ones in a rewrite): what the object's key index is built from.
 */
export type Seen = (cells: Iterable<unknown>) => void;

async function passCsv(
  store: ObjectStore,
  key: string,
  matcher: SubjectMatcher,
  found: (record: FoundRecord) => void,
  target?: { readonly store: ObjectStore; readonly key: string },
  seen: Seen = () => undefined,
): Promise<ObjectPass> {
  let header: string[] | undefined;
  let removed = 0;
  let kept = 0;
  const records = csvRecords(await store.get(key));
  async function* kept_(): AsyncGenerator<Buffer> {
    for await (const record of records) {
      if (!header) {
        header = record.fields;
        seen(record.fields);
        yield record.raw;
        continue;
      }
      const subject = matcher.matchAny(record.fields);
      if (subject === undefined || !target) seen(record.fields);
      if (subject === undefined) {
        kept++;
        yield record.raw;
        continue;
      }
      removed++;
      found({ subject, record: Object.fromEntries(header.map((name, i) => [name, record.fields[i] ?? ''])) });
    }
  }
  if (target) await target.store.put(target.key, kept_(), { contentType: 'text/csv' });
  else for await (const _ of kept_());
  return { removed, kept, wholeObject: false };
}

async function passJsonLines(
  store: ObjectStore,
  key: string,
  matcher: SubjectMatcher,
  found: (record: FoundRecord) => void,
  target?: { readonly store: ObjectStore; readonly key: string },
  seen: Seen = () => undefined,
): Promise<ObjectPass> {
  let removed = 0;
  let kept = 0;
  const source = await store.get(key);
  async function* lines(): AsyncGenerator<Buffer | string> {
    // A JSON string holds no raw line feed, so splitting on LF outside quotes is splitting lines.
    for await (const { raw } of csvLines(source)) {
      const text = raw.toString('utf8').trim();
      if (text === '') {
        yield raw;
        continue;
      }
      const before = removed;
      const parsed: unknown = JSON.parse(text);
      const cleaned = cleanJson(parsed, matcher, (subject, record) => {
        removed++;
        found({ subject, record });
      });
      if (!target) seen(deepStrings(parsed));
      else if (cleaned !== REMOVE) seen(deepStrings(cleaned));
      if (cleaned === REMOVE) {
        removed++;
        found({
          subject: matcher.matchAny(Object.values(JSON.parse(text) as object)) ?? 0,
          record: JSON.parse(text),
        });
        continue;
      }
      kept++;
      if (removed === before) yield raw;
      else
        yield (
          JSON.stringify(cleaned) +
          (raw.toString('utf8').endsWith('\r\n') ? '\r\n' : raw.at(-1) === 0x0a ? '\n' : '')
        );
    }
  }
  if (target) await target.store.put(target.key, lines(), { contentType: 'application/x-ndjson' });
  else for await (const _ of lines());
  return { removed, kept, wholeObject: false };
}

/** Lines split on LF only (no quote rules): JSON lines. */
async function* csvLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<{ raw: Buffer }> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, Buffer.from(chunk)]);
    let start = 0;
    for (let at = pending.indexOf(0x0a); at >= 0; at = pending.indexOf(0x0a, start)) {
      yield { raw: pending.subarray(start, at + 1) };
      start = at + 1;
    }
    pending = pending.subarray(start);
  }
  if (pending.length > 0) yield { raw: pending };
}

const REMOVE: unique symbol = Symbol('remove');

/**
 * The JSON value without the subjects: an object holding a subject's ID as one of its values is
 * theirs and goes whole (an event, an endpoint); an array loses the elements that are theirs (a
 * list of audience members) and stays. Returns REMOVE when the value itself is theirs.
 */
function cleanJson(
  value: unknown,
  matcher: SubjectMatcher,
  removed: (subject: number, record: unknown) => void,
): unknown {
  if (typeof value === 'string') return matcher.match(value) === undefined ? value : REMOVE;
  if (Array.isArray(value)) {
    let changed = false;
    const out: unknown[] = [];
    for (const element of value) {
      const cleaned = cleanJson(element, matcher, removed);
      if (cleaned === REMOVE) {
        changed = true;
        const subject =
          typeof element === 'string'
            ? matcher.match(element)!
            : (matcher.matchAny(deepStrings(element)) ?? 0);
        removed(subject, element);
      } else {
        if (cleaned !== element) changed = true;
        out.push(cleaned);
      }
    }
    return changed ? out : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(value)) {
      const cleaned = cleanJson(property, matcher, removed);
      if (cleaned === REMOVE) return REMOVE;
      if (cleaned !== property) changed = true;
      out[name] = cleaned;
    }
    return changed ? out : value;
  }
  return value;
}

function* deepStrings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const element of value) yield* deepStrings(element);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) yield* deepStrings(v);
}

async function passParquet(
  store: ObjectStore,
  key: string,
  matcher: SubjectMatcher,
  found: (record: FoundRecord) => void,
  target?: { readonly store: ObjectStore; readonly key: string },
  seen: Seen = () => undefined,
): Promise<ObjectPass> {
  const bytes = await readObject(store, key);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const columns = metadata.schema
    .slice(1)
    .map((element) => ({ name: element.name, storage: storageOf(element, key) }));
  const encoder = target ? parquetEncoder(columns) : undefined;
  const chunks: Uint8Array[] = [];
  let removed = 0;
  let kept = 0;
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd })) as Record<
      string,
      unknown
    >[];
    rowStart = rowEnd;
    const keep: CellValue[][] = [];
    for (const row of rows) {
      const subject = matcher.matchAny(Object.values(row));
      if (subject === undefined || !target) seen(Object.values(row));
      if (subject === undefined) {
        kept++;
        if (encoder) keep.push(columns.map((c) => (row[c.name] ?? null) as CellValue));
      } else {
        removed++;
        found({ subject, record: jsonRow(row) });
      }
    }
    if (encoder) chunks.push(...encoder.encode(keep));
  }
  if (encoder && target && removed > 0) {
    chunks.push(...encoder.finish());
    await target.store.put(target.key, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), {
      contentType: 'application/vnd.apache.parquet',
    });
  }
  return { removed, kept, wholeObject: false };
}

type SchemaElement = ReturnType<typeof parquetMetadata>['schema'][number];

/** The storage type ingestion wrote the column with (it writes only these four). */
function storageOf(element: SchemaElement, key: string): StorageType {
  if (element.type === 'BYTE_ARRAY') return 'string';
  if (element.type === 'DOUBLE') return 'double';
  if (element.type === 'INT64') return element.converted_type === 'TIMESTAMP_MILLIS' ? 'timestamp' : 'bigint';
  throw new Error(
    `${key}: column ${element.name} has Parquet type ${String(element.type)}, which erasure cannot rewrite`,
  );
}

/** A Parquet row for a JSON export: timestamps as ISO 8601, 64-bit integers as numbers. */
function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      value instanceof Date ? value.toISOString() : typeof value === 'bigint' ? Number(value) : value,
    ]),
  );
}

import { parquetReadObjects } from 'hyparquet';
import { type ObjectStore, readObject } from '../ports/object-store';
import { reportCsv } from '../ingest/csv-rows';
import { parquetEncoder } from '../ingest/parquet-rows';
import { nameFromFull, nameOf } from './names';
import {
  type IdentityRecord,
  MERGE_RULES,
  type MergeRule,
  recordKey,
  resolveIdentities,
  type ResolveOptions,
} from './resolve';

/** Where identity reads its sources and writes its tables, in the trusted zone. */
export const IDENTITY_PREFIX = 'trusted/identity/';
// Each table in a folder of its own: an Athena table reads every file under its location, so
// identity_map, profiles and review.csv must not share one.
export const IDENTITY_MAP_KEY = `${IDENTITY_PREFIX}identity_map/identity_map.parquet`;
export const PROFILES_KEY = `${IDENTITY_PREFIX}profiles/profiles.parquet`;
export const REVIEW_KEY = `${IDENTITY_PREFIX}review.csv`;
/** The datasets identity reads; a `Dataset Ingested` of one of them starts an identity run. */
export const IDENTITY_SOURCES = ['crm/customers', 'store/sales', 'web/events'] as const;

export interface IdentitySummary {
  /** Records read: CRM rows, store receipts, web devices. */
  readonly records: number;
  readonly bySource: Readonly<Record<IdentityRecord['source'], number>>;
  readonly profiles: number;
  readonly merges: Readonly<Record<MergeRule, number>>;
  readonly reviewPairs: number;
  readonly sharedDevices: number;
  readonly genericContacts: number;
  /** Profiles whose ID came from last run's map. */
  readonly keptIds: number;
  readonly outputs: { readonly identityMap: string; readonly profiles: string; readonly review: string };
}

type Row = Record<string, unknown>;

/** Reads every Parquet file under a trusted-zone prefix, with only the columns asked for. */
export async function* parquetRows(
  store: ObjectStore,
  prefix: string,
  columns: string[],
): AsyncGenerator<Row> {
  for await (const object of store.list(prefix)) {
    if (!object.key.endsWith('.parquet')) continue;
    const bytes = await readObject(store, object.key);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    yield* (await parquetReadObjects({ file, columns })) as Row[];
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * Builds identity records from rows of the three sources (column name -> normalised value, as
 * ingestion writes them): one record per CRM customer_id, receipt and web device. The same record
 * in two deliveries (a CRM export sent again) is kept once.
 */
export class IdentityRecordsBuilder {
  private readonly records: IdentityRecord[] = [];
  private readonly seen = new Set<string>();
  private readonly devices = new Map<string, Set<string>>();

  addCrm(row: Row): void {
    this.add({
      source: 'crm',
      sourceId: String(row['customer_id']),
      name: nameOf(text(row['first_name']) ?? null, text(row['last_name']) ?? null),
      displayName: { first: text(row['first_name']) ?? '', last: text(row['last_name']) ?? '' },
      email: text(row['email']),
      phone: text(row['phone']),
      postcode: text(row['postcode']),
      createdAt: row['created_at'] instanceof Date ? row['created_at'].getTime() : undefined,
    });
  }

  addReceipt(row: Row): void {
    const full = text(row['name']);
    const words = (full ?? '').trim().split(/\s+/);
    this.add({
      source: 'store',
      sourceId: String(row['receipt_id']),
      name: nameFromFull(full ?? null),
      displayName: { first: words.slice(0, -1).join(' '), last: words.at(-1) ?? '' },
      email: text(row['email']),
      phone: text(row['phone']),
      postcode: text(row['postcode']),
    });
  }

  /** A web event: its device, and the customer it was signed in as, if any. */
  addWebEvent(row: Row): void {
    const device = String(row['anonymous_id']);
    let signedIn = this.devices.get(device);
    if (!signedIn) this.devices.set(device, (signedIn = new Set<string>()));
    const customer = text(row['customer_id']);
    if (customer) signedIn.add(customer);
  }

  build(): IdentityRecord[] {
    for (const [device, signedIn] of this.devices)
      this.add({ source: 'web', sourceId: device, signedInAs: [...signedIn] });
    this.devices.clear();
    return this.records;
  }

  private add(record: IdentityRecord): void {
    const key = recordKey(record);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.records.push(record);
  }
}

/** The identity records held in the trusted zone. */
export async function loadIdentityRecords(store: ObjectStore): Promise<IdentityRecord[]> {
  const builder = new IdentityRecordsBuilder();
  const crm = ['customer_id', 'email', 'first_name', 'last_name', 'phone', 'postcode', 'created_at'];
  for await (const row of parquetRows(store, 'trusted/crm/customers/', crm)) builder.addCrm(row);
  const sales = ['receipt_id', 'name', 'email', 'phone', 'postcode'];
  for await (const row of parquetRows(store, 'trusted/store/sales/', sales)) builder.addReceipt(row);
  for await (const row of parquetRows(store, 'trusted/web/events/', ['anonymous_id', 'customer_id'])) {
    builder.addWebEvent(row);
  }
  return builder.build();
}

/** Last run's identity map, `source:source_id` -> customer_id, or undefined on a first run. */
export async function loadPreviousMap(store: ObjectStore): Promise<Map<string, string> | undefined> {
  if (!(await store.head(IDENTITY_MAP_KEY))) return undefined;
  const map = new Map<string, string>();
  for await (const row of parquetRows(store, IDENTITY_MAP_KEY, ['source', 'source_id', 'customer_id'])) {
    map.set(`${String(row['source'])}:${String(row['source_id'])}`, String(row['customer_id']));
  }
  return map;
}

/**
 * Resolves every identity record in the trusted zone and writes `identity_map` (one row per
 * record), `profiles` (one row per customer, each attribute with where it came from) and
 * `review.csv` (pairs for a person to decide). Existing profiles keep their IDs.
 */
export async function resolveTrustedIdentities(
  store: ObjectStore,
  options: Omit<ResolveOptions, 'previous'> = {},
): Promise<IdentitySummary> {
  const records = await loadIdentityRecords(store);
  const previous = await loadPreviousMap(store);
  const resolution = resolveIdentities(records, { ...options, previous });

  const map = parquetEncoder(IDENTITY_MAP_COLUMNS);
  await store.put(
    IDENTITY_MAP_KEY,
    chunksOf(
      map,
      records.map((r, i) => [r.source, r.sourceId, resolution.customerIds[i]!]),
    ),
  );

  const profiles = [...resolution.members].map(([customerId, members]) =>
    profileRow(
      customerId,
      members.map((m) => records[m]!),
    ),
  );
  await store.put(PROFILES_KEY, chunksOf(parquetEncoder(PROFILE_COLUMNS), profiles));

  const review = [
    ['record_a', 'record_b', 'customer_a', 'customer_b', 'name_a', 'name_b', 'similarity', 'evidence'],
    ...resolution.review.map(({ a, b, similarity, evidence }) => [
      recordKey(records[a]!),
      recordKey(records[b]!),
      resolution.customerIds[a]!,
      resolution.customerIds[b]!,
      displayOf(records[a]!),
      displayOf(records[b]!),
      similarity.toFixed(3),
      evidence,
    ]),
  ];
  await store.put(REVIEW_KEY, reportCsv(review), { contentType: 'text/csv' });

  const bySource = { crm: 0, store: 0, web: 0 };
  for (const record of records) bySource[record.source]++;
  const earlierIds = new Set(previous?.values());
  const keptIds = [...resolution.members.keys()].filter((id) => earlierIds.has(id)).length;
  return {
    records: records.length,
    bySource,
    profiles: resolution.members.size,
    merges: Object.fromEntries(MERGE_RULES.map((rule) => [rule, resolution.merges[rule]])) as Record<
      MergeRule,
      number
    >,
    reviewPairs: resolution.review.length,
    sharedDevices: resolution.sharedDevices,
    genericContacts: resolution.genericContacts,
    keptIds,
    outputs: { identityMap: IDENTITY_MAP_KEY, profiles: PROFILES_KEY, review: REVIEW_KEY },
  };
}

/** The columns of `identity_map` (also its Glue table). */
export const IDENTITY_MAP_COLUMNS = [
  { name: 'source', storage: 'string' as const },
  { name: 'source_id', storage: 'string' as const },
  { name: 'customer_id', storage: 'string' as const },
];

const ATTRIBUTES = ['first_name', 'last_name', 'email', 'phone', 'postcode'] as const;
/** The columns of `profiles` (also its Glue table). */
export const PROFILE_COLUMNS = [
  { name: 'customer_id', storage: 'string' as const },
  ...ATTRIBUTES.flatMap((name) => [
    { name, storage: 'string' as const },
    { name: `${name}_source`, storage: 'string' as const },
  ]),
  { name: 'crm_records', storage: 'bigint' as const },
  { name: 'store_receipts', storage: 'bigint' as const },
  { name: 'web_devices', storage: 'bigint' as const },
];

/** The best-known value of each attribute: from the oldest CRM record first, then the receipts. */
function profileRow(customerId: string, members: readonly IdentityRecord[]): (string | number | null)[] {
  const ranked = [...members].sort(
    (x, y) =>
      SOURCE_RANK[x.source] - SOURCE_RANK[y.source] || (x.createdAt ?? Infinity) - (y.createdAt ?? Infinity),
  );
  const valueOf = (record: IdentityRecord, attribute: (typeof ATTRIBUTES)[number]): string | undefined => {
    if (attribute === 'first_name') return record.displayName?.first || undefined;
    if (attribute === 'last_name') return record.displayName?.last || undefined;
    return record[attribute];
  };
  const row: (string | number | null)[] = [customerId];
  for (const attribute of ATTRIBUTES) {
    const from = ranked.find((record) => valueOf(record, attribute) !== undefined);
    row.push(from ? valueOf(from, attribute)! : null, from ? recordKey(from) : null);
  }
  const count = (source: IdentityRecord['source']) => members.filter((m) => m.source === source).length;
  row.push(count('crm'), count('store'), count('web'));
  return row;
}

const SOURCE_RANK = { crm: 0, store: 1, web: 2 } as const;

function displayOf(record: IdentityRecord): string {
  const name = record.displayName ? `${record.displayName.first} ${record.displayName.last}`.trim() : '';
  return name || (record.source === 'web' ? '(web device)' : '(no name)');
}

async function* chunksOf(
  encoder: ReturnType<typeof parquetEncoder>,
  rows: readonly (readonly (string | number | null)[])[],
) {
  const size = 50_000;
  for (let at = 0; at < rows.length; at += size) yield* encoder.encode(rows.slice(at, at + size));
  yield* encoder.finish();
}

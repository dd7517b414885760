import type { CellValue } from '../ingest/read-rows';
import { type ObjectStore, readObjectText } from '../ports/object-store';
import type { PrivacySalt } from '../ports/privacy-salt';
import type { SubjectIdentifiers } from './resolve-subject';
import { hashIdentifier, type IdentifierKind } from './subject';

/** Where erased subjects are listed, as salted hashes, one object per erasure request. */
export const SUPPRESSED_PREFIX = 'privacy/suppressed/';

/** The columns that name a person, by name; email and phone columns are found by their type. */
const ID_COLUMNS = new Set(['customer_id', 'receipt_id', 'anonymous_id', 'USER_ID', 'User.UserId']);

/** The salted hashes of every identifier of the subjects. */
export function suppressionHashes(salt: Uint8Array, subjects: readonly SubjectIdentifiers[]): string[] {
  const hashes = new Set<string>();
  for (const subject of subjects) {
    for (const set of [subject.customerIds, subject.receiptIds, subject.anonymousIds])
      for (const id of set) hashes.add(hashIdentifier(salt, 'id', id));
    for (const email of subject.emails) hashes.add(hashIdentifier(salt, 'email', email));
    for (const phone of subject.phones) hashes.add(hashIdentifier(salt, 'phone', phone));
  }
  return [...hashes].sort();
}

/** Adds the request's hashes to the list (its own object: lists are merged when read). */
export async function writeSuppression(
  store: ObjectStore,
  requestId: string,
  hashes: readonly string[],
): Promise<string> {
  const key = `${SUPPRESSED_PREFIX}${requestId}.json`;
  await store.put(key, JSON.stringify({ requestId, algorithm: 'HMAC-SHA-256', hashes }), {
    contentType: 'application/json',
  });
  return key;
}

/** A column as ingestion reads it: its name and its type's name. */
export interface SuppressionColumn {
  readonly name: string;
  readonly type: { readonly name: string };
}

/** The suppression list: tells whether an identifier belongs to an erased subject. */
export class SuppressionList {
  constructor(
    private readonly salt: Uint8Array,
    private readonly hashes: ReadonlySet<string>,
  ) {}

  get size(): number {
    return this.hashes.size;
  }

  has(kind: IdentifierKind, value: string): boolean {
    return this.hashes.size > 0 && this.hashes.has(hashIdentifier(this.salt, kind, value));
  }

  /** Whether a normalised row (its columns as read) names an erased subject (ID, email or phone column). */
  suppressesRow(columns: readonly SuppressionColumn[], values: readonly CellValue[]): boolean {
    if (this.hashes.size === 0) return false;
    for (let i = 0; i < columns.length; i++) {
      const value = values[i];
      if (typeof value !== 'string' || value === '') continue;
      const column = columns[i]!;
      if (
        column.type.name === 'email'
          ? this.has('email', value)
          : column.type.name === 'phone'
            ? this.has('phone', value)
            : ID_COLUMNS.has(column.name) && this.has('id', value)
      )
        return true;
      // Pinpoint's Address holds an email or a phone.
      if (column.name === 'Address' && (this.has('email', value.toLowerCase()) || this.has('phone', value)))
        return true;
    }
    return false;
  }
}

/** Reads every suppression object under `privacy/suppressed/`. */
export async function loadSuppressionList(store: ObjectStore, salt: Uint8Array): Promise<SuppressionList> {
  const hashes = new Set<string>();
  for await (const object of store.list(SUPPRESSED_PREFIX)) {
    if (!object.key.endsWith('.json')) continue;
    const entry = JSON.parse(await readObjectText(store, object.key)) as { hashes?: unknown };
    if (Array.isArray(entry.hashes))
      for (const hash of entry.hashes) if (typeof hash === 'string') hashes.add(hash);
  }
  return new SuppressionList(salt, hashes);
}

/**
 * The suppression list of a lake, or undefined when nobody was erased there: the salt is only read
 * once the list has an object. What ingestion, activation and the Segment sync read, offline and
 * in the cloud alike.
 */
export async function readSuppression(
  store: ObjectStore,
  salt: PrivacySalt,
): Promise<SuppressionList | undefined> {
  for await (const _ of store.list(SUPPRESSED_PREFIX)) return loadSuppressionList(store, await salt.salt());
  return undefined;
}

/** The list as a test of one customer (user) ID, as activation and the Segment sync take it. */
export function suppressedIdsOf(list: SuppressionList | undefined): ((id: string) => boolean) | undefined {
  return list && list.size > 0 ? (id) => list.has('id', id) : undefined;
}

import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import { indexedKeyOf, readKeyIndex } from './key-index';
import { formatOf } from './object-formats';
import type { SubjectIdentifiers } from './resolve-subject';

/**
 * The objects that can hold a subject, found from the key layout (the partitioning) and the
 * identity map, without reading any object:
 * - never `privacy/` (requests, records, the suppression list; exports only for an erasure) nor the re-delivery ledger `trusted/_ingested/`;
 * - no Personalize items file (it names items, not people);
 * - a source the map links none of the subjects to is skipped (no receipt: no `store/sales`; no
 *   web device: no `web/events`), when every subject was resolved through the map;
 * - only the formats erasure reads (CSV, JSON, JSON lines, Parquet); the rest is counted;
 * - with `indexKeys`, an object whose key index (`key-index.ts`) is current and holds none of
 *   the keys is skipped: it holds no subject. Only the small index is read.
 */
export interface Candidates {
  readonly objects: ObjectInfo[];
  /** Objects listed but left unread, by reason. */
  readonly skipped: Record<'layout' | 'identity-map' | 'format' | 'key-index', number>;
  /** Candidates without a current key index: the pass that reads them can write one. */
  readonly unindexed: Set<string>;
  /** Key indexes read (each a small object). */
  readonly indexesRead: number;
}

const NEVER = [
  /^privacy\//,
  /^trusted\/_ingested\//,
  /(^|\/)personalize\/.*\/items[^/]*\.csv$/i,
  /^personalize\/(?:[^/]+\/)?items\.csv$/i,
];

/** Objects the layout says hold nobody (or are privacy's own): never read for a subject. */
export const neverHoldsSubject = (key: string): boolean => NEVER.some((pattern) => pattern.test(key));

export async function findCandidates(
  store: ObjectStore,
  subjects: readonly SubjectIdentifiers[],
  options: { readonly exports?: boolean; readonly indexKeys?: readonly string[] } = {},
): Promise<Candidates> {
  const mapped = subjects.every((s) => s.via === 'identity-map');
  const hasReceipts = subjects.some((s) => s.receiptIds.size > 0);
  const hasDevices = subjects.some((s) => s.anonymousIds.size > 0);
  const objects: ObjectInfo[] = [];
  const skipped = { layout: 0, 'identity-map': 0, format: 0, 'key-index': 0 };
  const indexed = new Set<string>();
  for await (const object of store.list('')) {
    const key = object.key;
    const described = indexedKeyOf(key);
    if (described !== undefined) {
      indexed.add(described); // an index is not a data object: neither read here nor counted
      continue;
    }
    // An erasure also removes the person's earlier access exports.
    if (options.exports && /^privacy\/exports\/[^/]+\/export\.json$/.test(key)) objects.push(object);
    else if (NEVER.some((pattern) => pattern.test(key))) skipped.layout++;
    else if (mapped && !hasReceipts && /^(trusted\/)?store\/sales[/.-]/.test(key)) skipped['identity-map']++;
    else if (mapped && !hasDevices && /^(trusted\/)?web\/events[/.-]/.test(key)) skipped['identity-map']++;
    else if (!formatOf(key)) skipped.format++;
    else objects.push(object);
  }
  const unindexed = new Set<string>();
  let indexesRead = 0;
  const kept: ObjectInfo[] = [];
  for (const object of objects) {
    if (!options.indexKeys || object.key.startsWith('privacy/')) {
      kept.push(object);
      continue;
    }
    const index = indexed.has(object.key)
      ? (indexesRead++, await readKeyIndex(store, object.key))
      : undefined;
    if (!index?.describes(object)) {
      unindexed.add(object.key);
      kept.push(object);
    } else if (index.mayHoldAny(options.indexKeys)) kept.push(object);
    else skipped['key-index']++;
  }
  return { objects: kept, skipped, unindexed, indexesRead };
}

/** The part of the lake an object belongs to, for the request record: `trusted/crm/customers`, `audiences`, … */
export function areaOf(key: string): string {
  const parts = key.split('/');
  if (parts[0] === 'trusted') {
    if (parts[1] === 'identity') return 'trusted/identity';
    if (parts[1] === 'personalize') return 'trusted/personalize';
    return parts.slice(0, 3).join('/');
  }
  if (parts[0] === 'quarantine') return 'quarantine';
  return parts.length > 1 ? parts[0]! : 'root';
}

import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import { formatOf } from './object-formats';
import type { SubjectIdentifiers } from './resolve-subject';

/**
 * The objects that can hold a subject, found from the key layout (the partitioning) and the
 * identity map, without reading any object:
 * - never `privacy/` (requests, records, the suppression list; exports only for an erasure) nor the re-delivery ledger `trusted/_ingested/`;
 * - no Personalize items file (it names items, not people);
 * - a source the map links none of the subjects to is skipped (no receipt: no `store/sales`; no
 *   web device: no `web/events`), when every subject was resolved through the map;
 * - only the formats erasure reads (CSV, JSON, JSON lines, Parquet); the rest is counted.
 */
export interface Candidates {
  readonly objects: ObjectInfo[];
  /** Objects listed but left unread, by reason. */
  readonly skipped: Record<'layout' | 'identity-map' | 'format', number>;
}

const NEVER = [
  /^privacy\//,
  /^trusted\/_ingested\//,
  /(^|\/)personalize\/.*\/items[^/]*\.csv$/i,
  /^personalize\/(?:[^/]+\/)?items\.csv$/i,
];

export async function findCandidates(
  store: ObjectStore,
  subjects: readonly SubjectIdentifiers[],
  options: { readonly exports?: boolean } = {},
): Promise<Candidates> {
  const mapped = subjects.every((s) => s.via === 'identity-map');
  const hasReceipts = subjects.some((s) => s.receiptIds.size > 0);
  const hasDevices = subjects.some((s) => s.anonymousIds.size > 0);
  const objects: ObjectInfo[] = [];
  const skipped = { layout: 0, 'identity-map': 0, format: 0 };
  for await (const object of store.list('')) {
    const key = object.key;
    // An erasure also removes the person's earlier access exports.
    if (options.exports && /^privacy\/exports\/[^/]+\/export\.json$/.test(key)) objects.push(object);
    else if (NEVER.some((pattern) => pattern.test(key))) skipped.layout++;
    else if (mapped && !hasReceipts && /^(trusted\/)?store\/sales[/.-]/.test(key)) skipped['identity-map']++;
    else if (mapped && !hasDevices && /^(trusted\/)?web\/events[/.-]/.test(key)) skipped['identity-map']++;
    else if (!formatOf(key)) skipped.format++;
    else objects.push(object);
  }
  return { objects, skipped };
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

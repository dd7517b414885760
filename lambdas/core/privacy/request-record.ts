import type { ObjectStore } from '../ports/object-store';
import type { PrivacyAction } from './subject';

/** Where the records of privacy requests are kept (never deleted: they are the proof). */
export const RECORDS_PREFIX = 'privacy/records/';

/** What was done in one store: counts and a status, never an identifier. */
export interface StoreOutcome {
  /** `trusted: trusted/crm/customers`, `suppression list`, `Personalize`, `Segment`, … */
  readonly store: string;
  readonly action: string;
  objects?: number;
  rows?: number;
  status: 'done' | 'failed' | 'pending' | 'manual' | 'skipped';
  /** Why it failed or what a person must do (no personal data). */
  detail?: string;
}

/** The record of one request: the subject as a salted hash, per store what was done, start and end. */
export interface RequestRecord {
  readonly requestId: string;
  readonly action: PrivacyAction;
  readonly subjects: readonly { readonly kind: string; readonly hash: string }[];
  status: 'open' | 'completed' | 'failed';
  readonly startedAt: string;
  finishedAt?: string;
  readonly stores: StoreOutcome[];
}

export const recordKeyOf = (requestId: string): string => `${RECORDS_PREFIX}${requestId}.json`;

export async function writeRecord(store: ObjectStore, record: RequestRecord): Promise<string> {
  const key = recordKeyOf(record.requestId);
  await store.put(key, JSON.stringify(record, null, 2) + '\n', { contentType: 'application/json' });
  return key;
}

import { UserFacingError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import type { SegmentRegulations } from '../ports/segment-regulations';
import { csvRecords } from './csv-records';
import type { StoreOutcome } from './request-record';

/**
 * The Segment step of an erasure: a `SUPPRESS_WITH_DELETE` regulation of the subjects' user IDs
 * through Segment's Public API, which blocks new data about them at Segment's API and deletes what
 * Segment holds, then forwards the deletion to the destinations that support it.
 * https://segment.com/docs/privacy/user-deletion-and-suppression/ and
 * https://docs.segmentapis.com/tag/Deletion-and-Suppression (Create Workspace Regulation).
 */

/** The store name in the request's record and email. */
export const SEGMENT_STORE = 'Twilio Segment';

/** What the step asks Segment for. */
export const SEGMENT_ACTION = 'SUPPRESS_WITH_DELETE regulation';

/**
 * "You can delete up to 5000 userIds per call via Public API"
 * (https://segment.com/docs/privacy/user-deletion-and-suppression/, Deletion Support). Segment
 * also handles at most 110,000 users per 30 days within its 30-day SLA (same page).
 */
export const SEGMENT_MAX_SUBJECT_IDS = 5000;

/** Where a batch Segment did not accept is kept for replay, beside the request's deletion file. */
export const segmentFailedKeyOf = (requestId: string, batch: number): string =>
  `privacy/deletions/${requestId}/segment-failed-${batch}.json`;

/** A batch kept for replay: the exact body of the call, and why it was not accepted. */
export interface KeptRegulation {
  readonly requestId: string;
  readonly batch: number;
  readonly reason: string;
  readonly status?: number;
  /** Segment's error message, when it gave one. */
  readonly segmentMessage?: string;
  readonly body: {
    readonly regulationType: 'SUPPRESS_WITH_DELETE';
    readonly subjectType: 'USER_ID';
    readonly subjectIds: readonly string[];
  };
}

/** The user IDs of a `USER_ID` CSV (the lake step's deletion file), without duplicates, in file order. */
export async function readUserIds(store: ObjectStore, key: string): Promise<string[]> {
  const ids = new Set<string>();
  let header = true;
  for await (const record of csvRecords(await store.get(key))) {
    if (header) {
      header = false;
      if (record.fields[0]?.trim().toUpperCase() !== 'USER_ID')
        throw new UserFacingError(`the deletion file ${key} does not start with a USER_ID header`);
      continue;
    }
    const id = record.fields[0]?.trim() ?? '';
    if (id !== '') ids.add(id);
  }
  return [...ids];
}

/** Cuts the IDs into batches of at most `size` (Segment's documented maximum per call by default). */
export function batchesOf<T>(items: readonly T[], size = SEGMENT_MAX_SUBJECT_IDS): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size ${size} is not a positive integer`);
  const batches: T[][] = [];
  for (let at = 0; at < items.length; at += size) batches.push(items.slice(at, at + size));
  return batches;
}

/** How to do the Segment step by hand: for the email when no Public API token is configured. */
export function manualSegmentOutcome(usersLocation: string): StoreOutcome {
  return {
    store: SEGMENT_STORE,
    action: SEGMENT_ACTION,
    status: 'manual',
    detail:
      'No Segment Public API token is configured, so this step must be done by hand: in the Segment app, ' +
      'Settings > End User Privacy > Deletion Requests, request the deletion of each user ID in ' +
      `${usersLocation} (column USER_ID), or POST them in batches of at most ${SEGMENT_MAX_SUBJECT_IDS} to ` +
      'https://api.segmentapis.com/regulations (eu1.api.segmentapis.com for an EU workspace) with ' +
      '{"regulationType":"SUPPRESS_WITH_DELETE","subjectType":"USER_ID","subjectIds":[...]} and a Public API token. ' +
      'To automate it, store a Public API token in Secrets Manager and set segmentPublicApiTokenSecretName.',
  };
}

/** Nothing to send to Segment, and why (no erasure, or no customer ID found). */
export function skippedSegmentOutcome(reason: string): StoreOutcome {
  return { store: SEGMENT_STORE, action: SEGMENT_ACTION, status: 'skipped', detail: reason };
}

export interface SegmentErasureResult {
  readonly outcome: StoreOutcome;
  /** The regulation IDs Segment returned, in batch order (no personal data). */
  readonly regulateIds: readonly string[];
  /** Keys of the batches kept for replay. */
  readonly keptKeys: readonly string[];
}

/**
 * Sends the user IDs of the deletion file to Segment, one regulation per batch of at most
 * `batchSize`, one call at a time (a request file holds at most 1,000 rows, so this is a few calls;
 * the Public API asks callers not to loop fast). A batch Segment does not accept is written to
 * `segment-failed-<n>.json` with the reason and the outcome is `failed`; when Segment refuses the
 * token, that batch and every later one are kept without a call. Counts and regulation IDs only
 * leave this function: never a user ID.
 */
export async function eraseFromSegment(
  ports: { readonly regulations: SegmentRegulations; readonly store: ObjectStore },
  input: { readonly requestId: string; readonly usersKey: string; readonly batchSize?: number },
): Promise<SegmentErasureResult> {
  const ids = await readUserIds(ports.store, input.usersKey);
  if (ids.length === 0) {
    return {
      outcome: skippedSegmentOutcome('the deletion file holds no user ID: nothing to delete'),
      regulateIds: [],
      keptKeys: [],
    };
  }
  const batches = batchesOf(ids, input.batchSize ?? SEGMENT_MAX_SUBJECT_IDS);
  const regulateIds: string[] = [];
  const keptKeys: string[] = [];
  const reasons: string[] = [];
  let sent = 0;
  let refused: string | undefined;
  for (const [index, subjectIds] of batches.entries()) {
    const batch = index + 1;
    let reason: string;
    let status: number | undefined;
    let segmentMessage: string | undefined;
    if (refused) reason = `not sent: ${refused}`;
    else {
      try {
        const result = await ports.regulations.suppressWithDelete(subjectIds);
        if (result.created) {
          regulateIds.push(result.regulateId);
          sent += subjectIds.length;
          continue;
        }
        reason = result.reason;
        status = result.status;
        segmentMessage = result.segmentMessage;
      } catch (error) {
        refused =
          error instanceof UserFacingError
            ? error.message
            : 'the Segment client failed; the details are in the logs';
        reason = refused;
      }
    }
    const key = segmentFailedKeyOf(input.requestId, batch);
    const kept: KeptRegulation = {
      requestId: input.requestId,
      batch,
      reason,
      ...(status === undefined ? {} : { status }),
      ...(segmentMessage ? { segmentMessage } : {}),
      body: { regulationType: 'SUPPRESS_WITH_DELETE', subjectType: 'USER_ID', subjectIds },
    };
    await ports.store.put(key, JSON.stringify(kept, null, 2) + '\n', { contentType: 'application/json' });
    keptKeys.push(key);
    if (!reasons.includes(reason)) reasons.push(reason);
  }
  const created =
    regulateIds.length > 0
      ? `${regulateIds.length} of ${batches.length} regulation(s) created (${regulateIds.join(', ')}), ${sent} user ID(s); Segment deletes within 30 days (Settings > End User Privacy > Deletion Requests shows their status).`
      : '';
  if (keptKeys.length === 0) {
    return {
      outcome: { store: SEGMENT_STORE, action: SEGMENT_ACTION, rows: sent, status: 'done', detail: created },
      regulateIds,
      keptKeys,
    };
  }
  const detail = [
    created,
    `${keptKeys.length} batch(es), ${ids.length - sent} user ID(s), not accepted: ${reasons.join('; ')}.`,
    `Kept for replay: ${keptKeys.join(', ')} (each holds the exact request body).`,
  ]
    .filter(Boolean)
    .join(' ');
  return {
    outcome: {
      store: SEGMENT_STORE,
      action: SEGMENT_ACTION,
      rows: sent,
      status: 'failed',
      detail,
    },
    regulateIds,
    keptKeys,
  };
}

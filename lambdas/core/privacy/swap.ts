import { type DeletableObjectStore, readObjectText } from '../ports/object-store';

/**
 * Write aside, then swap. Every rewrite of a request is first written under
 * `privacy/staging/<request>/`; only when all are complete is the journal written, and only then
 * are the originals replaced. A crash before the journal leaves every original as it was (the
 * staged copies are redone); a crash after it is finished by `completeSwaps` on the next run. An
 * object is replaced by a single put, which S3 and the folder store show whole or not at all, so no
 * reader ever sees a truncated file.
 */
export const STAGING_PREFIX = 'privacy/staging/';

export interface SwapEntry {
  readonly key: string;
  /** `replace` with the staged copy, or `delete` (the whole object was the subject's). */
  readonly action: 'replace' | 'delete';
}

export const stagedKeyOf = (requestId: string, key: string): string =>
  `${STAGING_PREFIX}${requestId}/objects/${key}`;
const journalKeyOf = (requestId: string): string => `${STAGING_PREFIX}${requestId}/journal.json`;

/** Records that the staged rewrites are complete: from here on the swap must happen. */
export async function commitSwaps(
  store: DeletableObjectStore,
  requestId: string,
  entries: readonly SwapEntry[],
): Promise<void> {
  await store.put(journalKeyOf(requestId), JSON.stringify({ requestId, entries }), {
    contentType: 'application/json',
  });
}

/** Swaps in every staged rewrite of a committed request, then removes the staging. Safe to run twice. */
export async function applySwaps(store: DeletableObjectStore, requestId: string): Promise<number> {
  const journal = journalKeyOf(requestId);
  if (!(await store.head(journal))) return 0;
  const { entries } = JSON.parse(await readObjectText(store, journal)) as { entries: SwapEntry[] };
  for (const entry of entries) {
    const staged = stagedKeyOf(requestId, entry.key);
    if (entry.action === 'delete') await store.delete(entry.key);
    else if (await store.head(staged)) {
      await store.put(entry.key, await store.get(staged));
      await store.delete(staged);
    }
  }
  await store.delete(journal);
  return entries.length;
}

/** Finishes the swaps of every committed request left by a crash; returns the requests finished. */
export async function completeSwaps(store: DeletableObjectStore): Promise<string[]> {
  const committed: string[] = [];
  for await (const object of store.list(STAGING_PREFIX)) {
    const match = /^privacy\/staging\/([^/]+)\/journal\.json$/.exec(object.key);
    if (match) committed.push(match[1]!);
  }
  for (const requestId of committed) await applySwaps(store, requestId);
  return committed;
}

/** Removes the staged copies of an uncommitted request (left by a crash before its journal). */
export async function discardStaging(store: DeletableObjectStore, requestId: string): Promise<void> {
  for await (const object of store.list(`${STAGING_PREFIX}${requestId}/objects/`))
    await store.delete(object.key);
}

import { LocalPrivacySalt } from '../adapters/local-privacy-salt';
import type { ObjectStore } from '../core/ports/object-store';
import { readSuppression, suppressedIdsOf, type SuppressionList } from '../core/privacy/suppression';

/**
 * The suppression list of an offline tree (written by `cdp privacy erase --local <dir>`), or
 * undefined when nobody was erased there. Ingestion, activation and the Segment sync all read it.
 */
export async function localSuppression(
  store: ObjectStore,
  dir: string,
): Promise<SuppressionList | undefined> {
  return readSuppression(store, LocalPrivacySalt.of(dir));
}

/** The same list as a test of one customer (user) ID, as activation and the Segment sync take it. */
export async function localSuppressedIds(
  store: ObjectStore,
  dir: string,
): Promise<((id: string) => boolean) | undefined> {
  return suppressedIdsOf(await localSuppression(store, dir));
}

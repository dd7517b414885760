import type { ObjectStore, ObjectVersions } from '../ports/object-store';
import type { SubjectMatcher } from './matcher';
import { passObject } from './object-formats';

/** What clearing the old versions of the rewritten objects did: counts only. */
export interface VersionsPurged {
  /** Non-current versions read. */
  read: number;
  /** Versions that held the subject, deleted. */
  deleted: number;
  /** The subject's records in them. */
  rows: number;
}

/** One version of an object, as the read-only store `passObject` reads. */
function versionView(versions: ObjectVersions, versionId: string): ObjectStore {
  const readOnly = () => Promise.reject(new Error('a version view is read-only and lists nothing'));
  return {
    get: (key) => versions.get(key, versionId),
    put: readOnly,
    head: readOnly,
    // eslint-disable-next-line require-yield
    list: async function* () {
      throw new Error('a version view is read-only and lists nothing');
    },
  };
}

/**
 * In a versioned bucket, rewriting or deleting an object leaves the old bytes as a non-current
 * version. For each key erasure rewrote or deleted, reads every non-current version with the same
 * matcher and deletes, by version ID, those that hold the subject; versions without them stay.
 */
export async function purgeNoncurrentVersions(
  versions: ObjectVersions,
  keys: readonly string[],
  matcher: SubjectMatcher,
): Promise<VersionsPurged> {
  const purged: VersionsPurged = { read: 0, deleted: 0, rows: 0 };
  for (const key of keys) {
    const held: string[] = [];
    for await (const versionId of versions.noncurrent(key)) {
      purged.read++;
      const scan = await passObject(versionView(versions, versionId), key, matcher, () => undefined);
      if (scan.removed === 0) continue;
      held.push(versionId);
      purged.rows += scan.removed;
    }
    // Deleted after listing, so the listing's pages are not shifted under it.
    for (const versionId of held) await versions.delete(key, versionId);
    purged.deleted += held.length;
  }
  return purged;
}

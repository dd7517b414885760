import { Readable } from 'node:stream';
import type { DeletableObjectStore, ObjectVersions } from '../../../lambdas/core/ports/object-store';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

interface Version {
  readonly id: string;
  /** Undefined: a delete marker. */
  readonly body: Buffer | undefined;
}

/**
 * A MemoryObjectStore that keeps versions as a versioned S3 bucket does: a put adds a version, a
 * delete adds a delete marker, and only a delete by version ID removes bytes for good.
 */
export class VersionedMemoryStore extends MemoryObjectStore implements DeletableObjectStore {
  /** Every version of each key, oldest first. */
  readonly history = new Map<string, Version[]>();
  #next = 0;

  override async put(key: string, body: Parameters<MemoryObjectStore['put']>[1]): Promise<void> {
    await super.put(key, body);
    this.#add(key, this.objects.get(key));
  }

  override async delete(key: string): Promise<void> {
    await super.delete(key);
    this.#add(key, undefined);
  }

  readonly versions: ObjectVersions = {
    noncurrent: async function* (this: VersionedMemoryStore, key: string) {
      // Everything but the latest entry, newest first; delete markers are never listed as versions.
      for (const version of (this.history.get(key) ?? []).slice(0, -1).reverse())
        if (version.body) yield version.id;
    }.bind(this),
    get: async (key, versionId) => {
      const version = this.history.get(key)?.find((v) => v.id === versionId);
      if (!version?.body) throw new Error(`no version ${versionId} of ${key}`);
      return Readable.from([version.body]);
    },
    delete: async (key, versionId) => {
      const versions = this.history.get(key) ?? [];
      this.history.set(
        key,
        versions.filter((v) => v.id !== versionId),
      );
    },
  };

  /** Every stored byte of every version, as text, for "no trace anywhere" assertions. */
  everyVersionText(): string[] {
    return [...this.history.values()].flat().flatMap((v) => (v.body ? [v.body.toString('utf8')] : []));
  }

  #add(key: string, body: Buffer | undefined): void {
    const versions = this.history.get(key) ?? [];
    versions.push({ id: `v${++this.#next}`, body });
    this.history.set(key, versions);
  }
}

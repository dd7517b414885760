import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import { neverHoldsSubject } from './candidates';
import { indexedKeyOf, KeyIndexBuilder, readKeyIndex, writeKeyIndex } from './key-index';
import { SubjectMatcher } from './matcher';
import { formatOf, passObject } from './object-formats';

/**
 * Indexes every object of a zone that erasure would read and that has no current index (a lake
 * written before indexes existed, or objects rewritten since), streaming one object at a time.
 * Returns the objects indexed and those whose index was already current.
 */
export async function indexZone(store: ObjectStore): Promise<{ indexed: number; current: number }> {
  const objects: ObjectInfo[] = [];
  const indexes = new Map<string, ObjectInfo>();
  for await (const object of store.list('')) {
    const described = indexedKeyOf(object.key);
    if (described !== undefined) indexes.set(described, object);
    else if (!neverHoldsSubject(object.key) && !object.key.startsWith('privacy/') && formatOf(object.key))
      objects.push(object);
  }
  const nobody = new SubjectMatcher([]);
  let indexed = 0;
  let current = 0;
  for (const object of objects) {
    if (indexes.has(object.key) && (await readKeyIndex(store, object.key))?.describes(object)) {
      current++;
      continue;
    }
    const builder = new KeyIndexBuilder();
    await passObject(
      store,
      object.key,
      nobody,
      () => undefined,
      undefined,
      (cells) => builder.addCells(cells),
    );
    await writeKeyIndex(store, object, builder);
    indexed++;
  }
  return { indexed, current };
}

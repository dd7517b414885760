import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../lambdas/adapters/local-object-store';
import { indexZone } from '../../../lambdas/core/privacy/index-zone';
import {
  INDEX_PREFIX,
  KeyIndex,
  KeyIndexBuilder,
  readKeyIndex,
} from '../../../lambdas/core/privacy/key-index';
import { SubjectMatcher } from '../../../lambdas/core/privacy/matcher';
import { runPrivacyRequest } from '../../../lambdas/core/privacy/privacy-request';
import type { SubjectIdentifiers } from '../../../lambdas/core/privacy/resolve-subject';
import { parseSubject } from '../../../lambdas/core/privacy/subject';
import { readObjectText } from '../../../lambdas/core/ports/object-store';

const person = (ids: Partial<Record<'customerIds' | 'emails' | 'phones', string[]>>): SubjectIdentifiers => ({
  customerIds: new Set(ids.customerIds),
  receiptIds: new Set(),
  anonymousIds: new Set(),
  emails: new Set(ids.emails),
  phones: new Set(ids.phones),
  via: 'identity-map',
  profiles: 1,
  sharedContacts: 0,
});

/** A folder store that counts the data objects it is asked to read (key indexes apart). */
class CountingStore extends LocalObjectStore {
  readonly reads: string[] = [];
  override async get(key: string): Promise<Readable> {
    if (!key.startsWith('privacy/')) this.reads.push(key);
    return super.get(key);
  }
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function lake(): Promise<CountingStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cdp-key-index-'));
  dirs.push(dir);
  const store = new CountingStore({ root: dir });
  await store.put('audiences/weekly/a.csv', 'User.UserId\nC1\nC2\n');
  await store.put('audiences/weekly/b.csv', 'User.UserId\nC2\nC3\n');
  await store.put('scores/run-1/churn.csv', 'customer_id,score\nC3,0.2\nC4,0.9\n');
  await store.put('segment-events.jsonl', '{"userId":"C4","traits":{"email":"Dana@Example.com"}}\n');
  return store;
}

const erase = (store: CountingStore, id: string, requestId: string) =>
  runPrivacyRequest(
    { trusted: store, zones: [{ name: 'lake', store }] },
    {
      requestId,
      action: 'erase',
      subjects: [parseSubject(id)],
      salt: Buffer.alloc(32, 1),
      now: () => new Date('2026-12-02T00:00:00Z'),
    },
  );

describe('key index', () => {
  it('holds a key for every cell the matcher matches, however the value is spelled', () => {
    // Prepare
    const matcher = new SubjectMatcher([
      person({ customerIds: ['C00012'], emails: ['dana@example.com'], phones: ['+14105550182'] }),
    ]);
    const cells = ['C00012', 'crm:C00012', '  Dana@Example.COM ', "'+1 (410) 555-0182", '410.555.0182'];
    const others = new KeyIndexBuilder();
    others.addCells(['C00013', 'dan@example.com', '+14105550183', 'crm:C00021', 'Dana', 42]);
    const info = { key: 'x', size: 1, lastModified: new Date(0) };

    // Act
    const verdicts = cells.map((cell) => {
      const builder = new KeyIndexBuilder();
      builder.addCells([cell]);
      return matcher.match(cell) !== undefined && indexOf(builder, info).mayHoldAny(matcher.indexKeys());
    });

    // Assess
    expect(verdicts).toEqual([true, true, true, true, true]);
    expect(indexOf(others, info).mayHoldAny(matcher.indexKeys())).toBe(false);
  });

  it('lets erasure read only the objects that hold the subject once the zone is indexed', async () => {
    // Prepare
    const store = await lake();
    const indexing = await indexZone(store);
    store.reads.length = 0;

    // Act
    const outcome = await erase(store, 'C1', 'r1');

    // Assess
    expect(indexing).toEqual({ indexed: 4, current: 0 });
    expect(store.reads).toEqual(['audiences/weekly/a.csv', 'audiences/weekly/a.csv']); // read, then rewritten
    expect(outcome.io).toMatchObject({ read: 1, holding: 1, rewritten: 1, skippedByIndex: 3 });
    expect(await readObjectText(store, 'audiences/weekly/a.csv')).toBe('User.UserId\nC2\n');
  });

  it('reads every object when there is no index, and indexes what it read for the next request', async () => {
    // Prepare
    const store = await lake();

    // Act
    const first = await erase(store, 'C1', 'r1');
    store.reads.length = 0;
    const second = await erase(store, 'C3', 'r2');

    // Assess
    expect(first.io).toMatchObject({ read: 4, holding: 1, indexesWritten: 4 });
    expect(store.reads.sort()).toEqual([
      'audiences/weekly/b.csv',
      'audiences/weekly/b.csv',
      'scores/run-1/churn.csv',
      'scores/run-1/churn.csv',
    ]);
    expect(second.io).toMatchObject({ read: 2, holding: 2, rewritten: 2, skippedByIndex: 2 });
  });

  it('rewrites the index of an erased object without the subject, and ignores an index the object outgrew', async () => {
    // Prepare
    const store = await lake();
    await indexZone(store);
    await erase(store, 'C2', 'r1');
    const matcher = new SubjectMatcher([person({ customerIds: ['C2'] })]);
    const rewritten = await readKeyIndex(store, 'audiences/weekly/b.csv');
    await store.put('scores/run-1/churn.csv', 'customer_id,score\nC3,0.2\nC4,0.9\nC2,0.5\n');
    store.reads.length = 0;

    // Act
    const again = await erase(store, 'C2', 'r2');

    // Assess
    expect(rewritten?.mayHoldAny(matcher.indexKeys())).toBe(false);
    expect(rewritten?.mayHoldAny(new SubjectMatcher([person({ customerIds: ['C3'] })]).indexKeys())).toBe(
      true,
    );
    expect(store.reads.filter((key, i, all) => all.indexOf(key) === i)).toEqual(['scores/run-1/churn.csv']);
    expect(again.io).toMatchObject({ read: 1, holding: 1, rewritten: 1 });
    expect(await readObjectText(store, 'scores/run-1/churn.csv')).toBe('customer_id,score\nC3,0.2\nC4,0.9\n');
  });

  it('keeps its indexes under privacy/index/, out of every data prefix', async () => {
    // Prepare
    const store = await lake();

    // Act
    await indexZone(store);

    // Assess
    const keys: string[] = [];
    for await (const object of store.list('')) keys.push(object.key);
    expect(keys.filter((key) => key.endsWith('.bloom')).every((key) => key.startsWith(INDEX_PREFIX))).toBe(
      true,
    );
    expect(keys.filter((key) => key.endsWith('.bloom'))).toHaveLength(4);
  });
});

function indexOf(
  builder: KeyIndexBuilder,
  info: { key: string; size: number; lastModified: Date },
): KeyIndex {
  return KeyIndex.parse(builder.build(info))!;
}

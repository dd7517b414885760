import { describe, expect, it } from 'vitest';
import {
  closeRecord,
  deletionJobName,
  type DestinationEraser,
  eraseFromDestination,
  overallStatus,
  planOtherStores,
  storeLines,
  trainedDatasetGroups,
} from '../../../lambdas/core/privacy/other-stores';
import { type RequestRecord, writeRecord } from '../../../lambdas/core/privacy/request-record';
import type { RequestFileOutcome } from '../../../lambdas/core/privacy/request-file';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const USERS_KEY = 'privacy/deletions/r1-erase/personalize-users.csv';
const erased: RequestFileOutcome = {
  requestId: 'r1',
  invalidRows: [],
  accesses: [],
  erasure: {
    requestId: 'r1-erase',
    lines: [2],
    recordKey: 'privacy/records/r1-erase.json',
    rowsRemoved: 3,
    objectsRewritten: 1,
    objectsDeleted: 0,
    personalizeUsersKey: USERS_KEY,
    customerIds: 2,
  },
};
const options = {
  trustedBucket: 'b',
  datasetGroups: ['shop'],
  personalizeArnPrefix: 'arn:aws:personalize:r:1:',
};

describe('deletionJobName', () => {
  it('is a valid Personalize name of at most 63 characters, stable per request and group', () => {
    const long = `privacy-requests-${'x'.repeat(90)}.csv-0123abcd-erase`;
    for (const id of ['r1-erase', long]) {
      const name = deletionJobName(id, 'shop');
      expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(deletionJobName(id, 'shop')).toBe(name);
      expect(deletionJobName(id, 'news')).not.toBe(name);
    }
  });
});

describe('trainedDatasetGroups', () => {
  it('lists the group folders under personalize/, once each, and nothing else', async () => {
    const trusted = new MemoryObjectStore();
    for (const key of [
      'personalize/shop/r1/users.csv',
      'personalize/shop/r2/users.csv',
      'personalize/news/r1/items.csv',
      'personalize/notes.txt',
      'personalize/bad.name/r1/x.csv',
      'segments/shop/x.out',
    ])
      await trusted.put(key, 'x');

    expect(await trainedDatasetGroups(trusted)).toEqual(['news', 'shop']);
  });
});

describe('planOtherStores', () => {
  it('plans one job per group on the USER_ID file, and the destination on the same file', () => {
    const plan = planOtherStores(erased, options);
    expect(plan).toEqual({
      personalize: {
        skip: false,
        dataLocation: `s3://b/${USERS_KEY}`,
        jobs: [
          {
            datasetGroup: 'shop',
            datasetGroupArn: 'arn:aws:personalize:r:1:dataset-group/shop',
            jobName: deletionJobName('r1-erase', 'shop'),
            jobArn: `arn:aws:personalize:r:1:data-deletion-job/${deletionJobName('r1-erase', 'shop')}`,
          },
        ],
      },
      destination: { skip: false, usersKey: USERS_KEY },
    });
  });

  it.each([
    ['an access request', { ...erased, erasure: undefined }, 'no erase row in the request'],
    [
      'a failed erasure',
      { ...erased, erasure: { ...erased.erasure!, error: 'x' } },
      'the lake erasure failed',
    ],
    [
      'no customer ID',
      { ...erased, erasure: { ...erased.erasure!, personalizeUsersKey: undefined } },
      'no customer ID was found',
    ],
  ])('skips both stores with the reason for %s', (_, outcome, reason) => {
    const plan = planOtherStores(outcome as RequestFileOutcome, options);
    expect(plan.personalize).toEqual({ skip: true, reason: expect.stringContaining(reason) });
    expect(plan.destination).toEqual({ skip: true, reason: expect.stringContaining(reason) });
  });

  it('skips Personalize alone when no dataset group was trained', () => {
    const plan = planOtherStores(erased, { ...options, datasetGroups: [] });
    expect(plan.personalize).toEqual({ skip: true, reason: 'the stack has trained no dataset group yet' });
    expect(plan.destination.skip).toBe(false);
  });
});

describe('eraseFromDestination', () => {
  it('erases every user, counts the records, the users not found, and names the errors without the IDs', async () => {
    const trusted = new MemoryObjectStore();
    await trusted.put(USERS_KEY, 'USER_ID\nC1\nC2\nC3\nC4\n');
    const seen: string[] = [];
    const eraser: DestinationEraser = {
      store: 'Dest',
      action: 'deleted profiles',
      eraseUser: async (id) => {
        seen.push(id);
        if (id === 'C3') throw Object.assign(new Error('C3 throttled'), { name: 'ThrottlingException' });
        return id === 'C2' ? 0 : 2;
      },
    };

    const outcome = await eraseFromDestination(trusted, USERS_KEY, eraser);

    expect(seen).toEqual(['C1', 'C2', 'C3', 'C4']);
    expect(outcome).toEqual({
      store: 'Dest',
      action: 'deleted profiles',
      rows: 4,
      status: 'failed',
      detail:
        '4 user ID(s) looked up, 1 not found, 1 failed (ThrottlingException x1); send the request again to retry',
    });
    expect(outcome.detail).not.toMatch(/C\d/);
  });
});

describe('closing the record', () => {
  const record = (): RequestRecord => ({
    requestId: 'r1-erase',
    action: 'erase',
    subjects: [{ kind: 'customerId', hash: 'h' }],
    status: 'open',
    startedAt: '2026-12-02T10:00:00.000Z',
    stores: [{ store: 'trusted: crm', action: 'removed rows', rows: 3, status: 'done' }],
  });

  it('appends the outcomes, completes and stamps finishedAt when every store is done or skipped', async () => {
    const trusted = new MemoryObjectStore();
    await writeRecord(trusted, record());
    const closed = await closeRecord(
      trusted,
      'r1-erase',
      [
        { store: 'P', action: 'data deletion job', status: 'done' },
        { store: 'D', action: 'none', status: 'skipped', detail: 'S3 only' },
      ],
      new Date('2026-12-03T10:00:00Z'),
    );
    expect(closed.status).toBe('completed');
    expect(closed.finishedAt).toBe('2026-12-03T10:00:00.000Z');
    expect(closed.stores.map((s) => s.store)).toEqual(['trusted: crm', 'P', 'D']);
    expect(JSON.parse((await trusted.objects.get('privacy/records/r1-erase.json'))!.toString())).toEqual(
      closed,
    );
  });

  it('leaves the record open without finishedAt while a store is pending', async () => {
    const trusted = new MemoryObjectStore();
    await writeRecord(trusted, record());
    const closed = await closeRecord(
      trusted,
      'r1-erase',
      [{ store: 'P', action: 'data deletion job', status: 'pending' }],
      new Date(),
    );
    expect(closed.status).toBe('open');
    expect(closed.finishedAt).toBeUndefined();
  });

  it('fails on any failed store, even with one pending', () => {
    expect(
      overallStatus([
        { store: 'a', action: 'x', status: 'pending' },
        { store: 'b', action: 'x', status: 'failed' },
      ]),
    ).toBe('failed');
  });
});

describe('storeLines', () => {
  it("adds Segment's manual step after an erasure until a branch reports Segment", () => {
    const done = { store: 'P', action: 'data deletion job', status: 'done' as const };
    expect(storeLines([done], true).map((l) => [l.store, l.status])).toEqual([
      ['P', 'done'],
      ['Twilio Segment', 'manual'],
    ]);
    const segment = { store: 'Twilio Segment (workspace w)', action: 'regulation', status: 'done' as const };
    expect(storeLines([done, segment], true).map((l) => l.store)).toEqual([
      'P',
      'Twilio Segment (workspace w)',
    ]);
    expect(storeLines([done], false).map((l) => l.store)).toEqual(['P']);
  });
});

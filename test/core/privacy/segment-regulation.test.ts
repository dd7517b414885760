import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../lambdas/core/errors';
import type { RegulationOutcome, SegmentRegulations } from '../../../lambdas/core/ports/segment-regulations';
import {
  batchesOf,
  eraseFromSegment,
  type KeptRegulation,
  manualSegmentOutcome,
  readUserIds,
  SEGMENT_MAX_SUBJECT_IDS,
  segmentFailedKeyOf,
} from '../../../lambdas/core/privacy/segment-regulation';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const USERS_KEY = 'privacy/deletions/r1-erase/personalize-users.csv';

/** The port's fake: answers from a script per call, records the IDs of every call. */
class FakeRegulations implements SegmentRegulations {
  readonly calls: string[][] = [];
  constructor(private readonly answer: (call: number) => RegulationOutcome | Error) {}
  async suppressWithDelete(userIds: readonly string[]): Promise<RegulationOutcome> {
    this.calls.push([...userIds]);
    const answer = this.answer(this.calls.length);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const created = (call: number): RegulationOutcome => ({
  created: true,
  regulateId: `reg${call}`,
  attempts: 1,
});

function storeWithUsers(ids: readonly string[]): MemoryObjectStore {
  const store = new MemoryObjectStore();
  store.objects.set(USERS_KEY, Buffer.from(`USER_ID\n${ids.join('\n')}\n`));
  return store;
}

const idsOf = (count: number) =>
  Array.from({ length: count }, (_, i) => `CUST-${String(i).padStart(6, '0')}`);

describe('eraseFromSegment', () => {
  it('sends the user IDs in batches of at most 5,000 and reports counts and regulation IDs', async () => {
    // Prepare
    const ids = idsOf(2 * SEGMENT_MAX_SUBJECT_IDS + 1);
    const store = storeWithUsers(ids);
    const regulations = new FakeRegulations(created);

    // Act
    const result = await eraseFromSegment(
      { regulations, store },
      { requestId: 'r1-erase', usersKey: USERS_KEY },
    );

    // Assess
    expect(regulations.calls.map((c) => c.length)).toEqual([5000, 5000, 1]);
    expect(regulations.calls.flat()).toEqual(ids);
    expect(result.regulateIds).toEqual(['reg1', 'reg2', 'reg3']);
    expect(result.outcome).toMatchObject({ store: 'Twilio Segment', status: 'done', rows: 10_001 });
    expect(result.outcome.detail).toContain('reg1, reg2, reg3');
    expect(result.keptKeys).toEqual([]);
  });

  it('keeps a batch Segment did not accept for replay, with its exact body, and reports the step failed', async () => {
    // Prepare
    const ids = idsOf(5);
    const store = storeWithUsers(ids);
    const regulations = new FakeRegulations((call) =>
      call === 2
        ? {
            created: false,
            reason: 'Segment refused the batch with HTTP 422',
            status: 422,
            segmentMessage: 'bad id CUST-000002',
            attempts: 1,
          }
        : created(call),
    );

    // Act
    const result = await eraseFromSegment(
      { regulations, store },
      { requestId: 'r1-erase', usersKey: USERS_KEY, batchSize: 2 },
    );

    // Assess
    const key = segmentFailedKeyOf('r1-erase', 2);
    expect(key).toBe('privacy/deletions/r1-erase/segment-failed-2.json');
    const kept = JSON.parse(store.objects.get(key)!.toString()) as KeptRegulation;
    expect(kept).toEqual({
      requestId: 'r1-erase',
      batch: 2,
      reason: 'Segment refused the batch with HTTP 422',
      status: 422,
      segmentMessage: 'bad id CUST-000002',
      body: { regulationType: 'SUPPRESS_WITH_DELETE', subjectType: 'USER_ID', subjectIds: ids.slice(2, 4) },
    });
    expect(regulations.calls).toHaveLength(3);
    expect(result.outcome.status).toBe('failed');
    expect(result.outcome.rows).toBe(3);
    expect(result.regulateIds).toEqual(['reg1', 'reg3']);
    expect(result.outcome.detail).toContain(key);
    expect(result.outcome.detail).toContain('HTTP 422');
    // The record and the email hold no user ID, not even Segment's message that quoted one.
    for (const id of ids) expect(JSON.stringify(result.outcome)).not.toContain(id);
  });

  it('keeps every batch without another call once Segment refuses the token', async () => {
    // Prepare
    const store = storeWithUsers(idsOf(3));
    const regulations = new FakeRegulations(
      () => new UserFacingError('Segment refused the Public API token (HTTP 401)'),
    );

    // Act
    const result = await eraseFromSegment(
      { regulations, store },
      { requestId: 'r1-erase', usersKey: USERS_KEY, batchSize: 1 },
    );

    // Assess
    expect(regulations.calls).toHaveLength(1);
    expect(result.keptKeys).toEqual([1, 2, 3].map((n) => segmentFailedKeyOf('r1-erase', n)));
    expect(result.outcome).toMatchObject({ status: 'failed', rows: 0 });
    expect(result.outcome.detail).toContain('HTTP 401');
    const third = JSON.parse(
      store.objects.get(segmentFailedKeyOf('r1-erase', 3))!.toString(),
    ) as KeptRegulation;
    expect(third.reason).toMatch(/^not sent: Segment refused the Public API token/);
  });

  it('sends nothing and reports the step skipped when the file holds no user ID', async () => {
    // Prepare
    const store = storeWithUsers([]);
    const regulations = new FakeRegulations(created);

    // Act
    const result = await eraseFromSegment(
      { regulations, store },
      { requestId: 'r1-erase', usersKey: USERS_KEY },
    );

    // Assess
    expect(regulations.calls).toEqual([]);
    expect(result.outcome.status).toBe('skipped');
  });
});

describe('readUserIds', () => {
  it('reads the USER_ID column once per ID, quoted IDs unquoted', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    store.objects.set(USERS_KEY, Buffer.from('USER_ID\r\nC1\r\n"C,2"\r\nC1\r\n\r\n'));

    // Act
    const ids = await readUserIds(store, USERS_KEY);

    // Assess
    expect(ids).toEqual(['C1', 'C,2']);
  });

  it('refuses a file without the USER_ID header', async () => {
    const store = new MemoryObjectStore();
    store.objects.set(USERS_KEY, Buffer.from('customer_id\nC1\n'));
    await expect(readUserIds(store, USERS_KEY)).rejects.toThrow(/USER_ID header/);
  });
});

describe('batchesOf', () => {
  it('cuts at the size and keeps every item in order', () => {
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batchesOf([], 2)).toEqual([]);
    expect(() => batchesOf([1], 0)).toThrow(RangeError);
  });
});

describe('manualSegmentOutcome', () => {
  it('says the step must be done by hand, where in the Segment app, and with which file', () => {
    const outcome = manualSegmentOutcome(`s3://trusted/${USERS_KEY}`);
    expect(outcome.status).toBe('manual');
    expect(outcome.detail).toContain('must be done by hand');
    expect(outcome.detail).toContain('Settings > End User Privacy > Deletion Requests');
    expect(outcome.detail).toContain(`s3://trusted/${USERS_KEY}`);
    expect(outcome.detail).toContain('segmentPublicApiTokenSecretName');
  });
});

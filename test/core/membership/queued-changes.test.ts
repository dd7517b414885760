import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../lambdas/adapters/local-object-store';
import {
  appliedKey,
  CHANGES_PER_BATCH,
  countReceipts,
  enqueueChanges,
  readAudienceIds,
  receiptKey,
  settleAudience,
  writeChangeBatch,
} from '../../../lambdas/core/membership';
import {
  MembershipWriteError,
  type AudienceMembership,
} from '../../../lambdas/core/ports/audience-membership';
import type { ChangeBatch } from '../../../lambdas/core/ports/change-queue';
import { readObjectText, type ObjectStore } from '../../../lambdas/core/ports/object-store';

const KEY = 'genres-action';
const apply = {
  ratePerSecond: 1e6,
  concurrency: 4,
  maxAttempts: 3,
  baseDelayMs: 0,
  maxDelayMs: 0,
  sleep: async () => undefined,
  now: () => 0,
  random: () => 0,
};
const estimate = { maxPolls: 3, pollIntervalMs: 0, tolerance: 0.01, sleep: async () => undefined };

/** An in-memory domain: members of the audience, some user IDs it does not know, an estimate of what it holds. */
function domain(unknown: ReadonlySet<string> = new Set()) {
  const members = new Set<string>();
  const port: AudienceMembership = {
    prepare: async () => undefined,
    write: async (_t, change) => {
      if (unknown.has(change.userId)) throw new MembershipWriteError('rejected', 'no profile has this key');
      if (change.kind === 'enter') members.add(change.userId);
      else members.delete(change.userId);
    },
    startEstimate: async () => 'estimate-1',
    readEstimate: async () => ({ status: 'SUCCEEDED', size: members.size }),
  };
  return { port, members };
}

describe('the queued Connect writes (queue → writer → receipts → settle)', () => {
  let dir: string;
  let files: ObjectStore;
  let state: ObjectStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'queued-'));
    mkdirSync(path.join(dir, 'files'));
    files = new LocalObjectStore({ root: path.join(dir, 'files') });
    state = new LocalObjectStore({ root: path.join(dir, 'state') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const users = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u-${from + i}`);
  function audienceFile(name: string, ids: string[]) {
    writeFileSync(path.join(dir, 'files', name), ['User.UserId', ...ids].join('\n') + '\n');
    return () => readAudienceIds(files.get(name) as never, name);
  }
  const ids = (name: string) =>
    async function* () {
      yield* readAudienceIds(await files.get(name), name);
    };
  const appliedIds = async function* () {
    yield* readAudienceIds(await state.get(appliedKey(KEY)), 'applied');
  };

  /** One run the way the workflow does it: queue, let the "writer" drain the queue, wait for receipts, settle. */
  async function run(runId: string, file: string, target: ReturnType<typeof domain>) {
    const queue: ChangeBatch[] = [];
    const hasPrevious = (await state.head(appliedKey(KEY))) !== undefined;
    const queued = await enqueueChanges(
      runId,
      KEY,
      { current: ids(file), ...(hasPrevious ? { previous: appliedIds } : {}) },
      { send: async (batches) => void queue.push(...batches) },
    );
    expect(await countReceipts(state, runId, KEY)).toBe(0);
    for (const batch of queue) {
      const receipt = await writeChangeBatch(batch, target.port, apply);
      await state.put(receiptKey(runId, KEY, batch.batch), JSON.stringify(receipt));
    }
    expect(await countReceipts(state, runId, KEY)).toBe(queued.batches);
    const settled = await settleAudience(
      { run: runId, audienceKey: KEY, current: ids(file), expected: queued.diff.current },
      state,
      target.port,
      estimate,
    );
    return { queue, queued, settled };
  }

  it('queues the first run whole, in batches of at most CHANGES_PER_BATCH, and the estimate matches', async () => {
    audienceFile('run1.csv', users(0, 250));
    const target = domain();

    const { queue, queued, settled } = await run('r1', 'run1.csv', target);

    expect(queued.batches).toBe(3);
    expect(queue.map((b) => b.changes.length)).toEqual([CHANGES_PER_BATCH, CHANGES_PER_BATCH, 50]);
    expect(queue.map((b) => b.batch)).toEqual([0, 1, 2]);
    expect(settled.writes).toMatchObject({ applied: 250, failed: 0 });
    expect(settled.size).toEqual({ expected: 250, estimated: 250, status: 'match' });
    expect(settled.segmentName).toBe('cdp-genres-action-v1');
  });

  it('queues only the changes of the second run, and the domain then holds the second audience exactly', async () => {
    audienceFile('run1.csv', users(0, 200));
    audienceFile('run2.csv', users(20, 220));
    const target = domain();
    await run('r1', 'run1.csv', target);

    const { queue, queued } = await run('r2', 'run2.csv', target);

    expect(queued.diff).toMatchObject({ entering: 20, leaving: 20, staying: 180, firstRun: false });
    expect(queue.flatMap((b) => b.changes)).toHaveLength(40);
    expect([...target.members].sort()).toEqual(users(20, 220).sort());
  });

  it('reports a segment smaller than expected as a mismatch warning, with the failures and why', async () => {
    audienceFile('run1.csv', users(0, 100));
    const target = domain(new Set(users(0, 10)));

    const { settled } = await run('r1', 'run1.csv', target);

    expect(settled.writes).toMatchObject({ applied: 90, failed: 10 });
    expect(settled.failureReasons).toEqual(['no profile has this key']);
    expect(settled.size.status).toBe('mismatch');
    expect(settled.size).toMatchObject({ expected: 100, estimated: 90 });
    expect(settled.size.warning).toMatch(/counts 90 profiles in the segment, 100 were expected/);
  });

  it('leaves the failed entries out of the applied record, so the next run sends them again', async () => {
    audienceFile('run1.csv', users(0, 30));
    await run('r1', 'run1.csv', domain(new Set(['u-3'])));
    const applied = await readObjectText(state, appliedKey(KEY));
    expect(applied.split('\n')).not.toContain('u-3');

    const { queue } = await run('r2', 'run1.csv', domain());

    expect(queue.flatMap((b) => b.changes)).toEqual([{ userId: 'u-3', kind: 'enter' }]);
  });
});

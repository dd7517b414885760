import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  audienceTarget,
  checkSegmentSize,
  compareEstimate,
  type ApplyOptions,
} from '../../../lambdas/core/membership';
import {
  MembershipWriteError,
  type AudienceMembership,
  type FailedChange,
  type MembershipChange,
  type SegmentEstimate,
} from '../../../lambdas/core/ports/audience-membership';

const target = audienceTarget('genres-action');

/** A clock that only moves when something sleeps, so rate limits are checked without waiting. */
function virtualTime(): Pick<ApplyOptions, 'sleep' | 'now'> & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

function options(overrides: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    ratePerSecond: 1000,
    concurrency: 4,
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 2000,
    random: () => 0.5,
    ...virtualTime(),
    ...overrides,
  };
}

async function* changesOf(n: number): AsyncGenerator<MembershipChange> {
  for (let i = 0; i < n; i++) yield { userId: `u${i}`, kind: i % 2 ? 'leave' : 'enter' };
}

/** A membership whose writes fail as told, recording what was written. */
function scripted(fail: (userId: string, attempt: number) => MembershipWriteError | undefined) {
  const written = new Map<string, MembershipChange['kind']>();
  const attempts = new Map<string, number>();
  const membership: AudienceMembership = {
    prepare: async () => undefined,
    write: async (_target, change) => {
      const attempt = (attempts.get(change.userId) ?? 0) + 1;
      attempts.set(change.userId, attempt);
      const error = fail(change.userId, attempt);
      if (error) throw error;
      written.set(change.userId, change.kind);
    },
    startEstimate: async () => 'e1',
    readEstimate: async () => ({ status: 'RUNNING' }),
  };
  return { membership, written };
}

function keeper() {
  const kept: FailedChange[] = [];
  return { kept, store: { keep: async (failed: FailedChange) => void kept.push(failed) } };
}

describe('applyChanges', () => {
  it('writes every change once when nothing fails', async () => {
    const { membership, written } = scripted(() => undefined);
    const { kept, store } = keeper();

    const counts = await applyChanges(target, changesOf(100), membership, store, options());

    expect(counts).toEqual({ applied: 100, failed: 0, throttled: 0, attempts: 100 });
    expect(written.size).toBe(100);
    expect(written.get('u1')).toBe('leave');
    expect(kept).toEqual([]);
  });

  it('backs off and retries a throttled write until it lands', async () => {
    const { membership, written } = scripted((_id, attempt) =>
      attempt <= 2 ? new MembershipWriteError('throttled', 'Rate exceeded') : undefined,
    );
    const { kept, store } = keeper();
    const time = virtualTime();

    const counts = await applyChanges(target, changesOf(10), membership, store, options(time));

    expect(counts).toEqual({ applied: 10, failed: 0, throttled: 20, attempts: 30 });
    expect(written.size).toBe(10);
    expect(kept).toEqual([]);
    // Full jitter over 100 ms then 200 ms: half of each with random() = 0.5.
    expect(time.slept.filter((ms) => ms === 50)).toHaveLength(10);
    expect(time.slept.filter((ms) => ms === 100)).toHaveLength(10);
  });

  it('keeps a change that stays throttled, with its user ID, reason and attempts', async () => {
    const { membership } = scripted((id) =>
      id === 'u3' ? new MembershipWriteError('throttled', 'Rate exceeded') : undefined,
    );
    const { kept, store } = keeper();

    const counts = await applyChanges(target, changesOf(5), membership, store, options({ maxAttempts: 3 }));

    expect(counts).toMatchObject({ applied: 4, failed: 1, throttled: 3 });
    expect(kept).toEqual([
      {
        userId: 'u3',
        kind: 'leave',
        audienceKey: 'genres-action',
        reason: 'Rate exceeded',
        failure: 'throttled',
        attempts: 3,
      },
    ]);
  });

  it('keeps a rejected change at once, without retrying it', async () => {
    const { membership } = scripted((id) =>
      id === 'u0' ? new MembershipWriteError('rejected', 'no profile with this key') : undefined,
    );
    const { kept, store } = keeper();

    const counts = await applyChanges(target, changesOf(3), membership, store, options());

    expect(counts).toMatchObject({ applied: 2, failed: 1, attempts: 3 });
    expect(kept[0]).toMatchObject({ userId: 'u0', attempts: 1, failure: 'rejected' });
  });

  it('starts no more writes per second than its rate', async () => {
    const { membership } = scripted(() => undefined);
    const time = virtualTime();

    await applyChanges(
      target,
      changesOf(250),
      membership,
      keeper().store,
      options({ ...time, ratePerSecond: 50 }),
    );

    // 50 at once (the burst), then 200 more at 50 per second: about 4 s of virtual time.
    expect(time.now()).toBeGreaterThanOrEqual(3900);
    expect(time.now()).toBeLessThan(4200);
  });
});

describe('checkSegmentSize', () => {
  function estimating(results: SegmentEstimate[]) {
    const { membership } = scripted(() => undefined);
    let polls = 0;
    membership.readEstimate = async () => results[Math.min(polls++, results.length - 1)]!;
    return { membership, polls: () => polls };
  }
  const estimateOptions = {
    maxPolls: 5,
    pollIntervalMs: 1000,
    tolerance: 0.01,
    sleep: async () => undefined,
  };

  it('matches an estimate within the tolerance', async () => {
    const { membership } = estimating([{ status: 'RUNNING' }, { status: 'SUCCEEDED', size: 995 }]);

    const check = await checkSegmentSize(target, 1000, membership, estimateOptions);

    expect(check).toEqual({ expected: 1000, estimated: 995, status: 'match' });
  });

  it('warns when the estimate is off by more than the tolerance', async () => {
    const { membership } = estimating([{ status: 'SUCCEEDED', size: 900 }]);

    const check = await checkSegmentSize(target, 1000, membership, estimateOptions);

    expect(check.status).toBe('mismatch');
    expect(check.estimated).toBe(900);
    expect(check.warning).toMatch(/900 profiles.*1000 were expected/);
  });

  it('stops polling at its bound and says the size is unknown', async () => {
    const { membership, polls } = estimating([{ status: 'RUNNING' }]);

    const check = await checkSegmentSize(target, 1000, membership, estimateOptions);

    expect(polls()).toBe(5);
    expect(check).toMatchObject({ status: 'unavailable', expected: 1000 });
    expect(check.estimated).toBeUndefined();
  });

  it('compares exactly when the tolerance is zero', () => {
    expect(compareEstimate(10, 10, 0).status).toBe('match');
    expect(compareEstimate(10, 11, 0).status).toBe('mismatch');
  });
});

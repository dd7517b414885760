import { describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../lambdas/core/activation';
import { diffAudience, readAudienceIds } from '../../../lambdas/core/membership';
import type { MembershipChange } from '../../../lambdas/core/ports/audience-membership';

const idList = (list: readonly string[]) => () =>
  (async function* () {
    yield* list;
  })();
const ids = (...list: string[]) => idList(list);

async function collect(changes: AsyncIterable<MembershipChange>) {
  const enter: string[] = [];
  const leave: string[] = [];
  for await (const change of changes) (change.kind === 'enter' ? enter : leave).push(change.userId);
  return { enter: enter.sort(), leave: leave.sort() };
}

describe('diffAudience', () => {
  it('enters the new users, leaves the gone ones, and does not touch those who stay', async () => {
    const diff = diffAudience({ current: ids('a', 'b', 'c', 'd'), previous: ids('b', 'c', 'x', 'y') });

    const { enter, leave } = await collect(diff.changes);

    expect(enter).toEqual(['a', 'd']);
    expect(leave).toEqual(['x', 'y']);
    expect(diff.counts).toMatchObject({ entering: 2, leaving: 2, staying: 2, current: 4, previous: 4 });
    expect(diff.counts.firstRun).toBe(false);
  });

  it('enters everyone on the first run', async () => {
    const diff = diffAudience({ current: ids('a', 'b', 'c') });

    const { enter, leave } = await collect(diff.changes);

    expect(enter).toEqual(['a', 'b', 'c']);
    expect(leave).toEqual([]);
    expect(diff.counts).toMatchObject({ firstRun: true, entering: 3, staying: 0 });
  });

  it('sends nothing when the audience did not change', async () => {
    const diff = diffAudience({ current: ids('a', 'b'), previous: ids('b', 'a') });

    expect(await collect(diff.changes)).toEqual({ enter: [], leave: [] });
    expect(diff.counts.staying).toBe(2);
  });

  it('enters a user repeated in the file once', async () => {
    const diff = diffAudience({ current: ids('a', 'a', 'b'), previous: ids('b', 'b') });

    expect(await collect(diff.changes)).toEqual({ enter: ['a'], leave: [] });
    expect(diff.counts).toMatchObject({ current: 2, previous: 1, staying: 1 });
  });

  it('never enters a hold-out user, and takes one out that had been in', async () => {
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const holdout = { audienceKey: 'genres-action', percent: 20 };
    const heldOut = users.filter((u) => isHeldOut(u, holdout.audienceKey, holdout.percent));
    expect(heldOut.length).toBeGreaterThan(40);
    const diff = diffAudience({ current: idList(users), previous: ids(heldOut[0]!), holdout });

    const { enter, leave } = await collect(diff.changes);

    expect(enter.some((u) => heldOut.includes(u))).toBe(false);
    expect(enter).toHaveLength(users.length - heldOut.length);
    expect(leave).toEqual([heldOut[0]]);
    expect(diff.counts.heldOut).toBe(heldOut.length);
  });

  it('handles 200,000 users with 5 % churn exactly', async () => {
    const before = Array.from({ length: 200_000 }, (_, i) => `u${i}`);
    const after = [...before.slice(10_000), ...Array.from({ length: 10_000 }, (_, i) => `n${i}`)];
    const diff = diffAudience({ current: idList(after), previous: idList(before) });

    const { enter, leave } = await collect(diff.changes);

    expect(enter).toHaveLength(10_000);
    expect(enter.every((u) => u.startsWith('n'))).toBe(true);
    expect(leave).toEqual(before.slice(0, 10_000).sort());
  });
});

describe('readAudienceIds', () => {
  const bytes = (text: string) =>
    (async function* () {
      yield Buffer.from(text);
    })();

  it('reads the IDs of a User.UserId import file, quoted ones included', async () => {
    const read: string[] = [];
    for await (const id of readAudienceIds(bytes('User.UserId\nu1\n"a,b"\nu3\n'), 'a.csv')) read.push(id);
    expect(read).toEqual(['u1', 'a,b', 'u3']);
  });

  it('refuses an endpoint-ID file, naming it', async () => {
    const reading = (async () => {
      for await (const _ of readAudienceIds(bytes('Id\ne1\n'), 'action.csv')) void _;
    })();
    await expect(reading).rejects.toThrow(/action\.csv.*User\.UserId/);
  });
});

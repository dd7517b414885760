import { describe, expect, it } from 'vitest';
import { groupBySession, minimumCalls, type Sourced } from '../../../lambdas/core/realtime/group-by-session';

function event(ref: number, sessionId: string, userId?: string): Sourced<number> {
  return {
    ref,
    event: {
      sessionId,
      ...(userId ? { userId } : {}),
      event: { eventType: 'View', itemId: `i${ref}`, sentAt: ref },
    },
  };
}

describe('groupBySession', () => {
  it('puts the events of one session in one call, in their order', () => {
    const batches = groupBySession([event(1, 's1'), event(2, 's2'), event(3, 's1')]);

    expect(batches.map((b) => [b.request.sessionId, b.refs])).toEqual([
      ['s1', [1, 3]],
      ['s2', [2]],
    ]);
    expect(batches[0]!.request.eventList.map((e) => e.itemId)).toEqual(['i1', 'i3']);
  });

  it('splits a session of 25 events into calls of 10, 10 and 5', () => {
    const events = Array.from({ length: 25 }, (_, i) => event(i, 's1', 'u1'));

    const batches = groupBySession(events);

    expect(batches.map((b) => b.request.eventList.length)).toEqual([10, 10, 5]);
    expect(batches.every((b) => b.request.sessionId === 's1' && b.request.userId === 'u1')).toBe(true);
    expect(batches.flatMap((b) => b.refs)).toEqual(events.map((e) => e.ref));
  });

  it('never puts two users in one call, even within one session', () => {
    // Before and after sign-in: the same device, first anonymous, then known.
    const batches = groupBySession([event(1, 's1'), event(2, 's1', 'u1'), event(3, 's1')]);

    expect(batches.map((b) => [b.request.userId, b.refs])).toEqual([
      [undefined, [1, 3]],
      ['u1', [2]],
    ]);
    expect('userId' in batches[0]!.request).toBe(false);
  });

  it('makes exactly the minimum number of calls', () => {
    const sizes = [1, 9, 10, 11, 20, 21, 3];
    const events = sizes.flatMap((size, s) =>
      Array.from({ length: size }, (_, i) => event(s * 100 + i, `s${s}`)),
    );

    const batches = groupBySession(events);

    expect(batches.length).toBe(minimumCalls(sizes));
    expect(minimumCalls(sizes)).toBe(1 + 1 + 1 + 2 + 2 + 3 + 1);
    expect(Math.max(...batches.map((b) => b.request.eventList.length))).toBe(10);
  });

  it('makes no call for no events', () => {
    expect(groupBySession([])).toEqual([]);
  });
});

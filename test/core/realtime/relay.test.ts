import { describe, expect, it } from 'vitest';
import type { PutEventsOutcome, PutEventsSink } from '../../../lambdas/core/ports/put-events-sink';
import type { PutEventsRequest } from '../../../lambdas/core/realtime/personalize-event';
import { relayBatch, type QueuedEvent, type RelayOptions } from '../../../lambdas/core/realtime/relay';
import { MAPPING, track } from './fixtures';

/** A fake tracker: answers each call with the next scripted outcome for its session, else `sent`. */
class FakeTracker implements PutEventsSink {
  readonly requests: PutEventsRequest[] = [];
  constructor(private readonly script: Record<string, PutEventsOutcome[]> = {}) {}
  async putEvents(request: PutEventsRequest): Promise<PutEventsOutcome> {
    this.requests.push(request);
    return this.script[request.sessionId]?.shift() ?? { status: 'sent' };
  }
}

function options(sink: PutEventsSink, overrides: Partial<RelayOptions> = {}) {
  const sleeps: number[] = [];
  let clock = 0;
  const relay: RelayOptions = {
    mapping: MAPPING,
    sink,
    maxAttempts: 4,
    baseBackoffMs: 100,
    maxBackoffMs: 1000,
    minCallIntervalMs: 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 0.5,
    ...overrides,
  };
  return { relay, sleeps };
}

const message = (id: string, detail: Record<string, unknown> = {}): QueuedEvent => ({
  id,
  body: JSON.stringify(track({ messageId: id, ...detail })),
});
const THROTTLED: PutEventsOutcome = { status: 'retry', reason: 'ThrottlingException' };

describe('relayBatch', () => {
  it('sends every event of a batch, grouped by session, in calls of at most 10', async () => {
    const tracker = new FakeTracker();
    const messages = [
      ...Array.from({ length: 12 }, (_, i) => message(`a${i}`, { anonymousId: 'sA' })),
      ...Array.from({ length: 3 }, (_, i) => message(`b${i}`, { anonymousId: 'sB' })),
    ];

    const result = await relayBatch(messages, options(tracker).relay);

    expect(result).toEqual({ sent: 15, calls: 3, retries: 0, failed: [], rejected: [] });
    expect(tracker.requests.map((r) => [r.sessionId, r.eventList.length])).toEqual([
      ['sA', 10],
      ['sA', 2],
      ['sB', 3],
    ]);
  });

  it('retries a throttled call with growing backoff and then sends it', async () => {
    const tracker = new FakeTracker({ sA: [THROTTLED, THROTTLED] });
    const { relay, sleeps } = options(tracker);

    const result = await relayBatch([message('a1', { anonymousId: 'sA' })], relay);

    expect(result).toMatchObject({ sent: 1, calls: 3, retries: 2, failed: [] });
    // Full jitter at 0.5 of a cap that doubles: 100 ms, then 200 ms.
    expect(sleeps).toEqual([50, 100]);
  });

  it('caps the backoff', async () => {
    const tracker = new FakeTracker({ sA: [THROTTLED, THROTTLED, THROTTLED, THROTTLED, THROTTLED] });
    const { relay, sleeps } = options(tracker, { maxAttempts: 6, random: () => 0.999 });

    await relayBatch([message('a1', { anonymousId: 'sA' })], relay);

    expect(Math.max(...sleeps)).toBe(999);
  });

  it('returns only the messages of the call that stayed throttled', async () => {
    const tracker = new FakeTracker({ sB: [THROTTLED, THROTTLED, THROTTLED, THROTTLED] });
    const messages = [
      message('a1', { anonymousId: 'sA' }),
      message('b1', { anonymousId: 'sB' }),
      message('b2', { anonymousId: 'sB' }),
      message('c1', { anonymousId: 'sC' }),
    ];

    const result = await relayBatch(messages, options(tracker).relay);

    expect(result.failed).toEqual(['b1', 'b2']);
    expect(result.sent).toBe(2);
    expect(tracker.requests.filter((r) => r.sessionId === 'sB')).toHaveLength(4);
  });

  it('rejects an unknown event name with its reason and sends the rest', async () => {
    const tracker = new FakeTracker();

    const result = await relayBatch(
      [message('a1'), message('x1', { event: 'Coupon Applied' })],
      options(tracker).relay,
    );

    expect(result.rejected).toEqual([
      { id: 'x1', reason: 'unknown event name "Coupon Applied": not in the event type map' },
    ]);
    expect(result.failed).toEqual([]);
    expect(result.sent).toBe(1);
  });

  it('rejects a body that is not JSON', async () => {
    const result = await relayBatch([{ id: 'm1', body: '{not json' }], options(new FakeTracker()).relay);

    expect(result.rejected).toEqual([{ id: 'm1', reason: 'the message body is not JSON' }]);
  });

  it('isolates the event Personalize refuses by sending the call again one event at a time', async () => {
    const invalid: PutEventsOutcome = { status: 'invalid', reason: 'InvalidInputException' };
    const tracker = new FakeTracker({ sA: [invalid, { status: 'sent' }, invalid, { status: 'sent' }] });
    const messages = ['a1', 'a2', 'a3'].map((id) => message(id, { anonymousId: 'sA' }));

    const result = await relayBatch(messages, options(tracker).relay);

    expect(result.rejected).toEqual([{ id: 'a2', reason: 'Personalize refused it: InvalidInputException' }]);
    expect(result.sent).toBe(2);
    expect(result.failed).toEqual([]);
    expect(tracker.requests.map((r) => r.eventList.length)).toEqual([3, 1, 1, 1]);
  });

  it('paces calls at the least interval between them', async () => {
    const tracker = new FakeTracker();
    const { relay, sleeps } = options(tracker, { minCallIntervalMs: 10 });
    const messages = ['s1', 's2', 's3'].map((s, i) => message(`m${i}`, { anonymousId: s }));

    await relayBatch(messages, relay);

    expect(sleeps).toEqual([10, 10]);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SegmentAuthError,
  SegmentHttpSink,
  type SegmentHttpSinkOptions,
} from '../../../lambdas/adapters/segment-http-sink';
import { BatchBuilder } from '../../../lambdas/core/segment/batcher';
import { buildIdentify } from '../../../lambdas/core/segment/traits';
import type { EventBatch } from '../../../lambdas/core/segment/types';
import { connectionRefused, connectionReset, scriptedFetch, type ScriptedAnswer } from './scripted-fetch';

const WRITE_KEY = 'wk_test_0123456789';
const NOW = new Date('2026-05-01T10:00:00.000Z');

function batchOf(count: number, offset = 0): EventBatch {
  const builder = new BatchBuilder();
  for (let index = offset; index < offset + count; index += 1) {
    builder.add(
      buildIdentify({
        customerId: `c${index}`,
        score: 0.5,
        model: 'churn',
        run: 'r',
        scoredAt: NOW.toISOString(),
      }),
    );
  }
  return builder.flush()!;
}

/** A sink on a scripted fetch whose waits are recorded instead of slept. */
function sinkAnswering(script: readonly ScriptedAnswer[], options: Partial<SegmentHttpSinkOptions> = {}) {
  const stub = scriptedFetch(script);
  const waits: number[] = [];
  const sink = new SegmentHttpSink({
    writeKey: WRITE_KEY,
    fetch: stub.fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    now: () => NOW,
    ...options,
  });
  return { sink, waits, requests: stub.requests, stub };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SegmentHttpSink', () => {
  it('posts the batch to /v1/batch with Basic auth: the write key as user name and an empty password', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([{ status: 200 }]);
    const batch = batchOf(3);

    // Act
    const outcome = await sink.send(batch);

    // Assess
    expect(outcome).toEqual({ delivered: true, attempts: 1 });
    expect(requests[0]!.url).toBe('https://api.segment.io/v1/batch');
    expect(requests[0]!.headers['authorization']).toBe(
      `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
    );
    expect(JSON.parse(requests[0]!.body)).toEqual({
      batch: batch.events.map((event) => JSON.parse(event)),
      sentAt: NOW.toISOString(),
    });
    expect(Buffer.byteLength(requests[0]!.body)).toBe(batch.bodyBytes);
  });

  it('sends to the EU endpoint when the workspace is in the EU region', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([{ status: 200 }], { region: 'eu' });

    // Act
    await sink.send(batchOf(1));

    // Assess
    expect(requests[0]!.url).toBe('https://eu1.api.segmentapis.com/v1/batch');
  });

  it('keeps the path prefix of a configured endpoint, so a proxy under a path is reached', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([{ status: 200 }], {
      endpoint: 'https://gateway.example.com/segment',
    });

    // Act
    await sink.send(batchOf(1));

    // Assess
    expect(requests[0]!.url).toBe('https://gateway.example.com/segment/v1/batch');
  });

  it.each([500, 502, 503, 504, 408])(
    'retries an HTTP %i and delivers on the next success',
    async (status) => {
      // Prepare
      const { sink, requests } = sinkAnswering([{ status }, { status: 200 }]);

      // Act
      const outcome = await sink.send(batchOf(2));

      // Assess
      expect(outcome).toEqual({ delivered: true, attempts: 2 });
      expect(requests).toHaveLength(2);
    },
  );

  it('waits the Retry-After of a 429 before retrying', async () => {
    // Prepare
    const { sink, waits } = sinkAnswering([
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 200 },
    ]);

    // Act
    await sink.send(batchOf(1));

    // Assess
    expect(waits).toEqual([7_000]);
  });

  it('backs off exponentially, with jitter, between retries of server errors', async () => {
    // Prepare
    const { sink, waits } = sinkAnswering([
      { status: 500 },
      { status: 503 },
      { status: 502 },
      { status: 200 },
    ]);

    // Act
    await sink.send(batchOf(1));

    // Assess: random() = 0.5 puts each wait at three quarters of its step (500, 1000, 2000 ms).
    expect(waits).toEqual([375, 750, 1_500]);
  });

  it('retries a connection reset', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([connectionReset(), { status: 200 }]);

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toEqual({ delivered: true, attempts: 2 });
    expect(requests).toHaveLength(2);
  });

  it('names the cause and the address of a refused connection', async () => {
    // Prepare
    const { sink } = sinkAnswering([connectionRefused('127.0.0.1', 4100)], { retry: { retries: 1 } });

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toMatchObject({
      delivered: false,
      reason: 'gave up after 2 attempts: network error talking to Segment (ECONNREFUSED 127.0.0.1:4100)',
    });
  });

  it('takes the endpoint for down after connection failures in a row, and gives every later batch up without a request', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([connectionRefused('127.0.0.1', 4100)], {
      maxConsecutiveConnectionFailures: 4,
      concurrency: 1,
    });

    // Act
    const outcomes = await Promise.all([1, 2, 3, 4, 5, 6].map((offset) => sink.send(batchOf(1, offset))));

    // Assess
    expect(requests).toHaveLength(4);
    expect(outcomes.every((outcome) => !outcome.delivered)).toBe(true);
    expect(outcomes.map((outcome) => !outcome.delivered && outcome.reason)).toEqual(
      Array(6).fill(
        'Segment unreachable: 4 connection failures in a row, the last: network error talking to Segment (ECONNREFUSED 127.0.0.1:4100); nothing more was sent',
      ),
    );
    expect(sink.unreachableReason).toMatch(/^Segment unreachable/);
  });

  it('counts only connection failures in a row: an HTTP answer in between starts the count again', async () => {
    // Prepare
    const refused = connectionRefused('127.0.0.1', 4100);
    const { sink, requests } = sinkAnswering(
      [refused, refused, { status: 500 }, refused, refused, { status: 200 }],
      {
        maxConsecutiveConnectionFailures: 3,
      },
    );

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toEqual({ delivered: true, attempts: 6 });
    expect(requests).toHaveLength(6);
    expect(sink.unreachableReason).toBeUndefined();
  });

  it('does not retry a 400, and gives Segment’s answer as the reason', async () => {
    // Prepare
    const { sink, requests, waits } = sinkAnswering([
      { status: 400, body: '{"success":false,"message":"bad request"}' },
    ]);

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toEqual({
      delivered: false,
      attempts: 1,
      status: 400,
      reason: 'Segment refused the batch with HTTP 400: {"success":false,"message":"bad request"}',
    });
    expect(requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('gives up after the configured number of retries, with the last reason', async () => {
    // Prepare
    const { sink, requests, waits } = sinkAnswering([{ status: 500 }], { retry: { retries: 2 } });

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toEqual({
      delivered: false,
      attempts: 3,
      status: 500,
      reason: 'gave up after 3 attempts: Segment answered HTTP 500: {"success":true}',
    });
    expect(requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('keeps the batch instead of waiting when the run has no time left for the wait', async () => {
    // Prepare
    const asked: number[] = [];
    const { sink, requests, waits } = sinkAnswering([{ status: 429, headers: { 'retry-after': '30' } }], {
      mustGiveUp: (delayMs: number) => {
        asked.push(delayMs);
        return true;
      },
    });

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, status: 429 });
    expect((outcome as { reason: string }).reason).toContain('no time left in this run to wait 30 s');
    expect(asked).toEqual([30_000]);
    expect(requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it.each([
    ['121', 1, [], /asked to wait 121 s/],
    ['120', 2, [120_000], undefined],
  ] as const)(
    'treats a 429 with Retry-After: %s at the 120 s cap as %#: 121 gives up at once and says why, 120 waits and retries',
    async (retryAfter, attempts, expectedWaits, reason) => {
      // Prepare
      const { sink, requests, waits } = sinkAnswering([
        { status: 429, headers: { 'retry-after': retryAfter } },
        { status: 200 },
      ]);

      // Act
      const outcome = await sink.send(batchOf(1));

      // Assess
      expect(requests).toHaveLength(attempts);
      expect(waits).toEqual(expectedWaits);
      if (reason) expect(outcome.delivered || outcome.reason).toMatch(reason);
      else expect(outcome).toEqual({ delivered: true, attempts: 2 });
    },
  );

  it('gives up a 429 that asks to wait longer than allowed instead of stalling the run', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([{ status: 429, headers: { 'retry-after': '3600' } }]);

    // Act
    const outcome = await sink.send(batchOf(1));

    // Assess
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, status: 429 });
    expect(outcome.delivered || outcome.reason).toMatch(/asked to wait 3600 s/);
    expect(requests).toHaveLength(1);
  });

  it('stops with a refused-write-key error on a 401, without retrying and without the key in the message', async () => {
    // Prepare
    const { sink, requests } = sinkAnswering([{ status: 401 }]);

    // Act
    const sending = sink.send(batchOf(1));

    // Assess
    await expect(sending).rejects.toBeInstanceOf(SegmentAuthError);
    await expect(sending).rejects.not.toThrow(WRITE_KEY);
    expect(requests).toHaveLength(1);
  });

  it('refuses to post a body over 500,000 bytes even when handed such a batch', async () => {
    // Prepare: two hand-made batches, one too large by bytes, one by count.
    const { sink, requests } = sinkAnswering([{ status: 200 }]);
    const event = JSON.stringify({
      type: 'identify',
      userId: 'u',
      messageId: 'm',
      traits: { pad: 'x'.repeat(30_000) },
    });
    const tooBig: EventBatch = { id: 'big', events: Array(17).fill(event), bodyBytes: 0 };
    const tooMany: EventBatch = { id: 'many', events: Array(2_501).fill('{}'), bodyBytes: 0 };

    // Act
    const outcomes = [await sink.send(tooBig), await sink.send(tooMany)];

    // Assess
    expect(outcomes.map((outcome) => outcome.delivered)).toEqual([false, false]);
    expect(outcomes[0]!.delivered || outcomes[0]!.reason).toMatch(
      /over Segment's 500000 bytes \/ 2500 events/,
    );
    expect(requests).toHaveLength(0);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    // Prepare
    const stub = scriptedFetch([{ status: 200 }], { delayMs: 5 });
    const sink = new SegmentHttpSink({ writeKey: WRITE_KEY, fetch: stub.fetch, concurrency: 2 });

    // Act
    await Promise.all(Array.from({ length: 8 }, (_, index) => sink.send(batchOf(1, index))));

    // Assess
    expect(stub.requests).toHaveLength(8);
    expect(stub.peak()).toBe(2);
  });

  it('starts no more requests per second than its ceiling', async () => {
    // Prepare
    vi.useFakeTimers();
    const stub = scriptedFetch([{ status: 200 }]);
    const sink = new SegmentHttpSink({
      writeKey: WRITE_KEY,
      fetch: stub.fetch,
      concurrency: 20,
      requestsPerSecond: 5,
    });

    // Act
    const all = Promise.all(Array.from({ length: 12 }, (_, index) => sink.send(batchOf(1, index))));
    await vi.advanceTimersByTimeAsync(10);
    const inFirstSecond = stub.requests.length;
    await vi.advanceTimersByTimeAsync(1_000);
    const inSecondSecond = stub.requests.length - inFirstSecond;
    await vi.advanceTimersByTimeAsync(2_000);
    await all;

    // Assess
    expect([inFirstSecond, inSecondSecond, stub.requests.length]).toEqual([5, 5, 12]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import {
  startSegmentSink,
  type SegmentSink,
  type SegmentSinkOptions,
} from '../../../lambdas/local/segment-sink';

const WRITE_KEY = 'wk_sink_test';
const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
let sink: SegmentSink | undefined;

async function start(options: Partial<SegmentSinkOptions> = {}): Promise<SegmentSink> {
  sink = await startSegmentSink({ writeKey: WRITE_KEY, ...options });
  return sink;
}

function post(target: SegmentSink, body: string, authorization = AUTH): Promise<Response> {
  return fetch(`${target.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body,
  });
}

function batchBody(count: number, prefix = 'm', padding = 0): string {
  const batch = Array.from({ length: count }, (_, index) => ({
    type: 'identify',
    userId: `u${index}`,
    messageId: `${prefix}${index}`,
    traits: { pad: 'x'.repeat(padding) },
  }));
  return JSON.stringify({ batch });
}

/** 20 events under 32 KB each, padded so the whole body is exactly `bytes` long. */
function bodyOfSize(bytes: number): string {
  const base = Buffer.byteLength(batchBody(20));
  const each = Math.floor((bytes - base) / 20);
  const batch = Array.from({ length: 20 }, (_, index) => ({
    type: 'identify',
    userId: `u${index}`,
    messageId: `m${index}`,
    traits: { pad: 'x'.repeat(each + (index === 0 ? bytes - base - each * 20 : 0)) },
  }));
  return JSON.stringify({ batch });
}

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('the local Segment sink', () => {
  it('accepts a valid batch and records its events', async () => {
    // Prepare
    const target = await start();

    // Act
    const response = await post(target, batchBody(3));

    // Assess
    expect(response.status).toBe(200);
    expect(target.stats()).toMatchObject({ requests: 1, events: 3, uniqueEvents: 3, duplicateEvents: 0 });
  });

  it('answers 401 to a request without the write key', async () => {
    // Prepare
    const target = await start();

    // Act
    const response = await post(target, batchBody(1), `Basic ${Buffer.from('other:').toString('base64')}`);

    // Assess
    expect(response.status).toBe(401);
    expect(target.stats().events).toBe(0);
  });

  it('answers 400 to a body over 500,000 bytes, and accepts one of exactly 500,000', async () => {
    // Prepare
    const target = await start();
    const exact = bodyOfSize(500_000);
    const over = bodyOfSize(500_001);

    // Act
    const statuses = [(await post(target, exact)).status, (await post(target, over)).status];

    // Assess
    expect([Buffer.byteLength(exact), Buffer.byteLength(over)]).toEqual([500_000, 500_001]);
    expect(statuses).toEqual([200, 400]);
    expect(target.rejections()).toEqual(['request body over 500000 bytes']);
  });

  it('answers 400 to invalid JSON', async () => {
    // Prepare
    const target = await start();

    // Act
    const response = await post(target, '{"batch": [');

    // Assess
    expect(response.status).toBe(400);
    expect(target.rejections()).toEqual(['the body is not valid JSON']);
  });

  it('answers 400 when one event is over 32,000 bytes, and records none of the batch', async () => {
    // Prepare
    const target = await start();
    const body = JSON.stringify({
      batch: [{ messageId: 'ok' }, { messageId: 'big', traits: { pad: 'x'.repeat(32_000) } }],
    });

    // Act
    const response = await post(target, body);

    // Assess
    expect(response.status).toBe(400);
    expect(target.stats().events).toBe(0);
  });

  it('answers 200 to a batch of more than 2,500 events but drops it, and says so in its stats', async () => {
    // Prepare
    const target = await start();

    // Act
    const response = await post(target, batchBody(2_501));

    // Assess
    expect(response.status).toBe(200);
    expect(target.stats()).toMatchObject({ events: 0, droppedRequests: 1, droppedEvents: 2_501 });
  });

  it('de-duplicates events by messageId', async () => {
    // Prepare
    const target = await start();

    // Act
    await post(target, batchBody(5));
    await post(target, batchBody(5));

    // Assess
    expect(target.stats()).toMatchObject({ events: 10, uniqueEvents: 5, duplicateEvents: 5 });
  });

  it('injects the same faults in the same order for the same seed', async () => {
    // Prepare
    const faults = { serverErrorRate: 0.3, rateLimitRate: 0.2, retryAfterSeconds: 3, seed: 42 };
    const statuses: number[][] = [];
    let retryAfter: string | null = null;

    // Act
    for (let run = 0; run < 2; run += 1) {
      const target = await start({ faults });
      const seen: number[] = [];
      for (let request = 0; request < 30; request += 1) {
        const response = await post(target, batchBody(1, `r${request}-`));
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
        seen.push(response.status);
      }
      statuses.push(seen);
      await target.close();
      sink = undefined;
    }

    // Assess
    expect(statuses[0]).toEqual(statuses[1]);
    expect(new Set(statuses[0])).toEqual(new Set([200, 429, 500]));
    expect(retryAfter).toBe('3');
  });

  it('resets the connection when told to', async () => {
    // Prepare
    const target = await start({ faults: { resetRate: 1 } });

    // Act
    const sending = post(target, batchBody(1));

    // Assess
    await expect(sending).rejects.toThrow('fetch failed');
    expect(target.stats().resets).toBe(1);
  });

  it('answers late when told to be slow', async () => {
    // Prepare
    const target = await start({ faults: { slowRate: 1, slowMs: 120 } });
    const started = performance.now();

    // Act
    const response = await post(target, batchBody(1));

    // Assess
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });
});

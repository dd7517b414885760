import { describe, expect, it } from 'vitest';
import { BatchBuilder, renderBatchBody } from '../../../lambdas/core/segment/batcher';
import { SEGMENT_LIMITS } from '../../../lambdas/core/segment/limits';
import type { EventBatch, IdentifyEvent } from '../../../lambdas/core/segment/types';

const SENT_AT = '2026-05-01T10:00:00.000Z';
const EMPTY_BODY_BYTES = Buffer.byteLength(renderBatchBody({ id: '', events: [], bodyBytes: 0 }, SENT_AT));

/** An identify whose JSON is exactly `bytes` long. */
function eventOfSize(bytes: number, id: number | string): IdentifyEvent {
  const base: IdentifyEvent = {
    type: 'identify',
    userId: `u${id}`,
    messageId: `m${id}`,
    timestamp: SENT_AT,
    traits: { pad: '' },
  };
  const padding = bytes - Buffer.byteLength(JSON.stringify(base));
  if (padding < 0) throw new Error(`an event cannot be as small as ${bytes} bytes`);
  return { ...base, traits: { pad: 'x'.repeat(padding) } };
}

function addAll(builder: BatchBuilder, events: readonly IdentifyEvent[]): EventBatch[] {
  const batches = events.flatMap((event) => builder.add(event).batches);
  const last = builder.flush();
  return last ? [...batches, last] : batches;
}

describe('BatchBuilder', () => {
  it('puts 2,500 events in one request and starts the next request with the 2,501st', () => {
    // Prepare
    const events = Array.from({ length: 2_501 }, (_, index) => eventOfSize(150, index));

    // Act
    const batches = addAll(new BatchBuilder(), events);

    // Assess
    expect(batches.map((batch) => batch.events.length)).toEqual([2_500, 1]);
  });

  it('fills a request to exactly 500,000 bytes of body and no further', () => {
    // Prepare: 24 events of 20,000 bytes, then one sized so the body lands on the limit exactly.
    const full = Array.from({ length: 24 }, (_, index) => eventOfSize(20_000, index));
    const lastSize = SEGMENT_LIMITS.maxBatchBytes - EMPTY_BODY_BYTES - 24 * 20_000 - 24;
    const exact = [...full, eventOfSize(lastSize, 'last')];
    const oneByteOver = [...full, eventOfSize(lastSize + 1, 'last')];

    // Act
    const exactBatches = addAll(new BatchBuilder(), exact);
    const overBatches = addAll(new BatchBuilder(), oneByteOver);

    // Assess
    expect(exactBatches.map((batch) => batch.bodyBytes)).toEqual([500_000]);
    expect(Buffer.byteLength(renderBatchBody(exactBatches[0]!, SENT_AT))).toBe(500_000);
    expect(overBatches.map((batch) => batch.events.length)).toEqual([24, 1]);
  });

  it('counts the bytes of the real request body, multi-byte characters included', () => {
    // Prepare
    const events = ['Zoë', 'Łukasz', '山田', '😀'].map((name, index) => ({
      ...eventOfSize(200, index),
      userId: name,
    }));

    // Act
    const [batch] = addAll(new BatchBuilder(), events);

    // Assess
    expect(batch!.bodyBytes).toBe(Buffer.byteLength(renderBatchBody(batch!, SENT_AT)));
    expect(batch!.bodyBytes).toBeGreaterThan(renderBatchBody(batch!, SENT_AT).length);
  });

  it('refuses an event over 32,000 bytes with a clear reason, and keeps building the batch in progress', () => {
    // Prepare
    const builder = new BatchBuilder();
    builder.add(eventOfSize(300, 1));

    // Act
    const output = builder.add(eventOfSize(32_001, 'huge'));

    // Assess
    expect(output.batches).toEqual([]);
    expect(output.rejected).toMatchObject({ messageId: 'mhuge' });
    expect(output.rejected?.reason).toBe(
      "the identify for user 'uhuge' is 32001 bytes, over Segment's 32000-byte limit per event: shorten the user ID or trait names",
    );
    expect(JSON.parse(output.rejected!.event)).toEqual(eventOfSize(32_001, 'huge'));
    expect(builder.pending).toBe(1);
  });

  it('accepts an event of exactly 32,000 bytes', () => {
    // Act
    const output = new BatchBuilder().add(eventOfSize(32_000, 1));

    // Assess
    expect(output.rejected).toBeUndefined();
  });

  it('gives the same id to the same events and different ids to different ones', () => {
    // Prepare
    const events = Array.from({ length: 5 }, (_, index) => eventOfSize(150, index));

    // Act
    const first = addAll(new BatchBuilder(), events);
    const again = addAll(new BatchBuilder(), events);
    const fewer = addAll(new BatchBuilder(), events.slice(0, 4));

    // Assess
    expect(again[0]!.id).toBe(first[0]!.id);
    expect(fewer[0]!.id).not.toBe(first[0]!.id);
  });
});

import { describe, expect, it } from 'vitest';
import { mapTrack } from '../../../lambdas/core/realtime/map-track';
import { PUT_EVENTS_LIMITS } from '../../../lambdas/core/realtime/personalize-event';
import { MAPPING, track } from './fixtures';

const SENT_AT = Date.UTC(2026, 10, 30, 10, 0, 0);

describe('mapTrack', () => {
  it('maps a Product Viewed to a View with every field', () => {
    const outcome = mapTrack(track(), MAPPING);

    expect(outcome).toEqual({
      ok: true,
      events: [
        {
          sessionId: 'anon-1',
          userId: 'user-1',
          event: {
            eventType: 'View',
            itemId: 'item-1',
            sentAt: SENT_AT,
            eventId: 'msg-1',
            eventValue: 19.99,
          },
        },
      ],
    });
  });

  it.each([
    ['Product Clicked', 'Click'],
    ['Product Added', 'AddToCart'],
    ['Order Completed', 'Purchase'],
  ])('maps %s to the event type %s from the name map', (name, eventType) => {
    const outcome = mapTrack(track({ event: name }), MAPPING);

    expect(outcome.ok && outcome.events[0]!.event.eventType).toBe(eventType);
  });

  it('uses a custom name map', () => {
    const mapping = { ...MAPPING, eventTypes: { 'Video Watched': 'watch' } };

    expect(mapTrack(track({ event: 'Video Watched' }), mapping)).toMatchObject({
      ok: true,
      events: [{ event: { eventType: 'watch' } }],
    });
    expect(mapTrack(track({ event: 'Product Viewed' }), mapping).ok).toBe(false);
  });

  it('rejects an unknown event name with its reason', () => {
    expect(mapTrack(track({ event: 'Signed Up' }), MAPPING)).toEqual({
      ok: false,
      reason: 'unknown event name "Signed Up": not in the event type map',
    });
  });

  it('does not take inherited object keys for event names', () => {
    expect(mapTrack(track({ event: 'constructor' }), MAPPING).ok).toBe(false);
  });

  it('reads the item ID at a configurable path', () => {
    const mapping = { ...MAPPING, itemIdPath: 'properties.sku' };

    const outcome = mapTrack(track({ properties: { sku: 'SKU-9', product_id: 'other' } }), mapping);

    expect(outcome.ok && outcome.events[0]!.event.itemId).toBe('SKU-9');
  });

  it('writes a numeric item ID in decimal', () => {
    const outcome = mapTrack(track({ properties: { product_id: 42 } }), MAPPING);

    expect(outcome.ok && outcome.events[0]!.event.itemId).toBe('42');
  });

  it('rejects an event without an item ID, naming the path', () => {
    expect(mapTrack(track({ properties: { name: 'shoe' } }), MAPPING)).toEqual({
      ok: false,
      reason: 'no item ID at properties.product_id',
    });
  });

  it('maps an order with a product list to one event per product, valued at its price', () => {
    const order = track({
      event: 'Order Completed',
      messageId: 'order-1',
      properties: {
        revenue: 30,
        products: [
          { product_id: 'a', price: 10 },
          { product_id: 'b', price: 20 },
        ],
      },
    });

    const outcome = mapTrack(order, MAPPING);

    expect(outcome.ok && outcome.events.map((e) => e.event)).toEqual([
      { eventType: 'Purchase', itemId: 'a', sentAt: SENT_AT, eventId: 'order-1:0', eventValue: 10 },
      { eventType: 'Purchase', itemId: 'b', sentAt: SENT_AT, eventId: 'order-1:1', eventValue: 20 },
    ]);
  });

  it('rejects an order whose product has no item ID', () => {
    const order = track({
      event: 'Order Completed',
      properties: { products: [{ product_id: 'a' }, { sku: 'x' }] },
    });

    expect(mapTrack(order, MAPPING)).toEqual({ ok: false, reason: 'product 2 has no item ID at product_id' });
  });

  it('takes the event value from revenue when there is no price', () => {
    const outcome = mapTrack(track({ properties: { product_id: 'p', revenue: '12.5' } }), MAPPING);

    expect(outcome.ok && outcome.events[0]!.event.eventValue).toBe(12.5);
  });

  it('sends no event value when the mapping turns it off', () => {
    const outcome = mapTrack(track(), { ...MAPPING, eventValue: false });

    expect(outcome.ok && 'eventValue' in outcome.events[0]!.event).toBe(false);
  });

  it('takes sentAt from the timestamp with its offset', () => {
    const outcome = mapTrack(track({ timestamp: '2026-11-30T11:00:00+01:00' }), MAPPING);

    expect(outcome.ok && outcome.events[0]!.event.sentAt).toBe(SENT_AT);
  });

  it('rejects a timestamp that is not a date', () => {
    expect(mapTrack(track({ timestamp: 'yesterday' }), MAPPING)).toEqual({
      ok: false,
      reason: 'timestamp is not an ISO 8601 date',
    });
  });

  it('sends an anonymous event without a user ID', () => {
    const outcome = mapTrack(track({ userId: null }), MAPPING);

    expect(outcome.ok && outcome.events[0]).toMatchObject({ sessionId: 'anon-1' });
    expect(outcome.ok && 'userId' in outcome.events[0]!).toBe(false);
  });

  it('uses the user ID as the session of a server-side event without an anonymous ID', () => {
    const outcome = mapTrack(track({ anonymousId: null }), MAPPING);

    expect(outcome.ok && outcome.events[0]).toMatchObject({ sessionId: 'user-1', userId: 'user-1' });
  });

  it('rejects an event with neither anonymous ID nor user ID', () => {
    expect(mapTrack(track({ anonymousId: null, userId: null }), MAPPING)).toEqual({
      ok: false,
      reason: 'no anonymousId or userId: PutEvents needs a session ID',
    });
  });

  it('rejects other Segment calls', () => {
    const identify = track({ type: 'identify', event: undefined });
    identify['detail-type'] = 'identify';

    expect(mapTrack(identify, MAPPING)).toEqual({ ok: false, reason: 'not a track event (type "identify")' });
  });

  it('rejects something that is not an EventBridge event', () => {
    expect(mapTrack({ event: 'Product Viewed' }, MAPPING).ok).toBe(false);
  });

  it.each([
    ['itemId', { properties: { product_id: 'i'.repeat(257) } }, 'itemId is longer than 256 characters'],
    ['sessionId', { anonymousId: 'a'.repeat(257) }, 'sessionId is longer than 256 characters'],
    ['userId', { userId: 'u'.repeat(257) }, 'userId is longer than 256 characters'],
    ['eventId', { messageId: 'm'.repeat(257) }, 'eventId is longer than 256 characters'],
  ])('rejects a %s over its documented limit', (_field, detail, reason) => {
    expect(mapTrack(track(detail), MAPPING)).toEqual({ ok: false, reason });
  });

  it('accepts IDs of exactly 256 characters', () => {
    expect(
      mapTrack(track({ properties: { product_id: 'i'.repeat(256) }, anonymousId: 'a'.repeat(256) }), MAPPING)
        .ok,
    ).toBe(true);
  });

  it('rejects an event type over 256 characters from the name map', () => {
    const mapping = { ...MAPPING, eventTypes: { 'Product Viewed': 'v'.repeat(257) } };

    expect(mapTrack(track(), mapping)).toEqual({
      ok: false,
      reason: 'eventType is longer than 256 characters',
    });
  });

  it('keeps the largest event it accepts under the documented 10 KB event size', () => {
    // 256 three-byte characters in every ID field: the most bytes the field limits let through.
    const wide = '€'.repeat(256);
    const mapping = { ...MAPPING, eventTypes: { 'Product Viewed': wide } };

    const outcome = mapTrack(
      track({ messageId: wide, properties: { product_id: wide, price: -1.7976931348623157e308 } }),
      mapping,
    );

    expect(outcome.ok).toBe(true);
    const event = outcome.ok ? outcome.events[0]!.event : undefined;
    expect(Buffer.byteLength(JSON.stringify({ ...event, sentAt: 1e10 }))).toBeLessThan(
      PUT_EVENTS_LIMITS.eventBytes,
    );
  });
});

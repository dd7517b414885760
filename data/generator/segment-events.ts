/**
 * Live Segment events for `cdp relay`: the web events of the first customers as Segment's Amazon
 * EventBridge destination delivers them (an EventBridge event around the Segment `track` message),
 * one JSON a line. Page views are Segment `page` calls and are left out; sign-ins stay in as a
 * `Signed In` track, a name the default event type map does not know, so the sample shows a rejection.
 */
import type { CsvRecord } from './csv-writer';

/** Where the sample lands, relative to the output folder. */
export const SEGMENT_EVENTS_FILE = 'segment/events.jsonl';
/** Customers whose web events are written: enough to show every kind, small enough to commit. */
export const SEGMENT_EVENT_CUSTOMERS = 100;

const NAMES: Readonly<Record<string, string>> = {
  product_viewed: 'Product Viewed',
  added_to_cart: 'Product Added',
  order_completed: 'Order Completed',
  signed_in: 'Signed In',
};

/** Numbers the messages across customers, so every messageId is unique and stable. */
export interface MessageCounter {
  next: number;
}

/**
 * The JSON lines of one customer's web events. `web/events.csv` rows are
 * anonymous_id, customer_id, event, item_id, order_id, timestamp; an order lists the products
 * added to the cart earlier on the same device.
 */
export function segmentEventLinesOf(
  webEvents: readonly CsvRecord[],
  priceOf: (itemId: string) => string | undefined,
  counter: MessageCounter,
): string[] {
  const lines: string[] = [];
  const carts = new Map<string, string[]>();
  for (const row of webEvents) {
    const [anonymousId, customerId, kind, itemId, orderId, timestamp] = row.map(String) as string[];
    const event = NAMES[kind!];
    if (!event) continue;
    let properties: Record<string, unknown> = {};
    if (kind === 'product_viewed' || kind === 'added_to_cart') {
      properties = { product_id: itemId, price: Number(priceOf(itemId!) ?? 0) };
      if (kind === 'added_to_cart') carts.set(anonymousId!, [...(carts.get(anonymousId!) ?? []), itemId!]);
    } else if (kind === 'order_completed') {
      const products = (carts.get(anonymousId!) ?? []).map((id) => ({
        product_id: id,
        price: Number(priceOf(id) ?? 0),
      }));
      carts.delete(anonymousId!);
      const revenue = products.reduce((sum, p) => sum + p.price, 0);
      properties = { order_id: orderId, revenue: Math.round(revenue * 100) / 100, products };
    }
    const messageId = `sample-${String(++counter.next).padStart(7, '0')}`;
    lines.push(
      JSON.stringify({
        version: '0',
        id: messageId,
        'detail-type': 'track',
        source: 'aws.partner/segment.com/SampleSourceId',
        account: '111122223333',
        time: timestamp,
        region: 'us-east-1',
        resources: [],
        detail: {
          type: 'track',
          event,
          messageId,
          anonymousId,
          userId: customerId || null,
          timestamp,
          properties,
        },
      }),
    );
  }
  return lines;
}

import { type PersonalizeEvent, type RelayEvent, rejectionOf } from './personalize-event';
import { segmentEnvelopeSchema, type SegmentMessage, TRACK_DETAIL_TYPE } from './segment-envelope';

/** How Segment track events become Personalize events. */
export interface RelayMapping {
  /** Segment event name → Personalize eventType, e.g. `Product Viewed` → `View`. Other names are rejected. */
  readonly eventTypes: Readonly<Record<string, string>>;
  /** Dotted path of the item ID in the Segment message, e.g. `properties.product_id`. */
  readonly itemIdPath: string;
  /** Send `eventValue` (properties.price, else properties.revenue) when the event has one. */
  readonly eventValue: boolean;
}

export const DEFAULT_ITEM_ID_PATH = 'properties.product_id';
export const DEFAULT_EVENT_TYPES: Readonly<Record<string, string>> = {
  'Product Viewed': 'View',
  'Product Clicked': 'Click',
  'Product Added': 'AddToCart',
  'Order Completed': 'Purchase',
};

/** A mapped Segment event: one Personalize event per item (an order carries several), or why not. */
export type MapOutcome =
  | { readonly ok: true; readonly events: readonly RelayEvent[] }
  | { readonly ok: false; readonly reason: string };

const reject = (reason: string): MapOutcome => ({ ok: false, reason });

/**
 * Maps one Segment `track` (the EventBridge envelope, already JSON-parsed) to Personalize events.
 *
 * - eventType from the name map; itemId from `itemIdPath`; sentAt from `timestamp`;
 *   sessionId from `anonymousId` (else `userId`, for server-side calls that carry no anonymous ID);
 *   userId when present; eventValue from `properties.price`, else `properties.revenue`; eventId from
 *   `messageId`, so a redelivered event is not counted twice by Personalize.
 * - An ecommerce event with a `properties.products` list (Segment's spec for `Order Completed`) and
 *   no item ID at the path becomes one event per product, each read with the path's last key
 *   (`product_id`) and valued at its `price`.
 *
 * Reasons name fields and limits, never the customer's IDs.
 */
export function mapTrack(input: unknown, mapping: RelayMapping): MapOutcome {
  const parsed = segmentEnvelopeSchema.safeParse(input);
  if (!parsed.success) return reject('not a Segment event as the EventBridge destination delivers it');
  const message = parsed.data.detail;
  const type = message.type ?? parsed.data['detail-type'];
  if (type !== TRACK_DETAIL_TYPE) return reject(`not a track event (type ${JSON.stringify(type ?? null)})`);
  if (!message.event) return reject('track event without an event name');
  const eventType = Object.hasOwn(mapping.eventTypes, message.event)
    ? mapping.eventTypes[message.event]
    : undefined;
  if (eventType === undefined)
    return reject(`unknown event name ${JSON.stringify(message.event)}: not in the event type map`);
  const sessionId = message.anonymousId || message.userId;
  if (!sessionId) return reject('no anonymousId or userId: PutEvents needs a session ID');
  if (!message.timestamp) return reject('no timestamp');
  const sentAt = Date.parse(message.timestamp);
  if (Number.isNaN(sentAt)) return reject('timestamp is not an ISO 8601 date');

  const items = itemsOf(message, mapping);
  if (typeof items === 'string') return reject(items);
  const userId = message.userId || undefined;
  const events: RelayEvent[] = [];
  for (const [index, item] of items.entries()) {
    const event: PersonalizeEvent = {
      eventType,
      itemId: item.itemId,
      sentAt,
      ...(message.messageId
        ? { eventId: items.length > 1 ? `${message.messageId}:${index}` : message.messageId }
        : {}),
      ...(mapping.eventValue && item.value !== undefined ? { eventValue: item.value } : {}),
    };
    const relayEvent: RelayEvent = { sessionId, ...(userId ? { userId } : {}), event };
    const reason = rejectionOf(relayEvent);
    if (reason) return reject(items.length > 1 ? `product ${index + 1}: ${reason}` : reason);
    events.push(relayEvent);
  }
  return { ok: true, events };
}

interface Item {
  readonly itemId: string;
  readonly value?: number;
}

function itemsOf(message: SegmentMessage, mapping: RelayMapping): Item[] | string {
  const path = mapping.itemIdPath.split('.');
  const itemId = idAt(message, path);
  const properties = message.properties ?? {};
  if (itemId !== undefined)
    return [{ itemId, value: numberAt(properties.price) ?? numberAt(properties.revenue) }];
  const products = properties.products;
  if (Array.isArray(products) && products.length > 0) {
    const key = path.at(-1)!;
    const items: Item[] = [];
    for (const [index, product] of products.entries()) {
      const id = idAt(product, [key]);
      if (id === undefined) return `product ${index + 1} has no item ID at ${key}`;
      items.push({ itemId: id, value: numberAt((product as Record<string, unknown>).price) });
    }
    return items;
  }
  return `no item ID at ${mapping.itemIdPath}`;
}

/** The value at a dotted path, as an ID: a non-empty string, or a number written in decimal. */
function idAt(value: unknown, path: readonly string[]): string | undefined {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string' && current.trim() !== '') return current;
  if (typeof current === 'number' && Number.isFinite(current)) return String(current);
  return undefined;
}

/** Prices arrive as numbers, or as numeric strings from some libraries. */
function numberAt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

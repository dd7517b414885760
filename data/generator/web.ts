/**
 * Web behaviour: browsing sessions (some anonymous until sign-in) and orders. Orders follow the
 * customer's repurchase probability; everything stops at a churner's churn date.
 */
import type { ItemPicker } from './catalog';
import type { Customer } from './customers';
import { randomFor, type Random } from './random';
import { DAY, isoOf, type Sequences } from './world';

/** anonymous_id, customer_id, event, item_id, order_id, timestamp */
export type WebEventRow = readonly [string, string, string, string, string, string];
/** order_id, customer_id, item_count, amount, ordered_at */
export type OrderRow = readonly [string, string, number, string, string];

export interface WebRecords {
  readonly events: WebEventRow[];
  readonly orders: OrderRow[];
  /** The customer's devices that appear in the events: the truth for identity stitching. */
  readonly anonymousIds: string[];
}

/** Browsing sessions a median customer has in a year. */
const SESSIONS_PER_YEAR = 2;
/** Cap on orders per customer, so a 0.9 repurchase probability stays realistic. */
const MAX_ORDERS = 12;

function anonymousIdOf(random: Random): string {
  let hex = '';
  for (let i = 0; i < 3; i++)
    hex += Math.floor(random.next() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `anon-${hex}`;
}

/** Seconds in which a session may start and still end before the customer goes quiet. */
function usableSpanOf(customer: Customer): number {
  return Math.max(1, customer.activeUntil - customer.activeFrom - 3_600);
}

/** Order timestamps: a first order with a chance, then each followed by another with repurchaseProbability. */
function orderTimesOf(random: Random, customer: Customer): number[] {
  if (!random.chance(0.35 + 0.5 * customer.repurchaseProbability)) return [];
  let count = 1;
  while (count < MAX_ORDERS && random.chance(customer.repurchaseProbability)) count++;
  const span = usableSpanOf(customer);
  return Array.from({ length: count }, () => customer.activeFrom + Math.floor(random.next() * span)).sort(
    (a, b) => a - b,
  );
}

export function webRecordsOf(
  seed: number,
  customer: Customer,
  picker: ItemPicker,
  sequences: Sequences,
): WebRecords {
  const random = randomFor(seed, 'web', customer.index);
  const taste = {
    genre: customer.favouriteGenre,
    category: customer.favouriteCategory,
    loyalty: customer.loyalty,
  };
  const devices = Array.from({ length: random.chance(0.4) ? 2 : 1 }, () => anonymousIdOf(random));
  const usedDevices = new Set<string>();
  const span = usableSpanOf(customer);

  const sessions: { start: number; orderTime?: number }[] = [];
  const browsing = random.poisson((SESSIONS_PER_YEAR * customer.activity * span) / (365 * DAY));
  for (let i = 0; i < browsing; i++)
    sessions.push({ start: customer.activeFrom + Math.floor(random.next() * span) });
  // An order ends a session that started a few minutes earlier.
  for (const time of orderTimesOf(random, customer))
    sessions.push({ start: Math.max(customer.activeFrom, time - 600), orderTime: time });
  sessions.sort((a, b) => a.start - b.start);

  const events: WebEventRow[] = [];
  const orders: OrderRow[] = [];
  for (const session of sessions) {
    const device = random.pick(devices);
    usedDevices.add(device);
    // Ordering needs a sign-in; browsing is often anonymous, or signs in partway.
    const ordering = session.orderTime !== undefined;
    let signedIn = random.chance(ordering ? 0.5 : 0.4);
    const signInAfter = signedIn ? -1 : ordering ? 1 : random.chance(0.3) ? 1 : Number.POSITIVE_INFINITY;
    let time = session.start;
    const views = random.int(1, 4);
    const emit = (event: string, itemId = '', orderId = '') =>
      events.push([device, signedIn ? customer.id : '', event, itemId, orderId, isoOf(time)]);
    emit('page_viewed');
    for (let view = 0; view < views; view++) {
      time += random.int(10, 120);
      if (!signedIn && view + 1 >= signInAfter) {
        signedIn = true;
        emit('signed_in');
      }
      emit('product_viewed', picker.pick(random, taste).id);
    }
    if (session.orderTime === undefined) continue;
    const itemCount = random.weighted([1, 2, 3], [70, 22, 8]);
    let amount = 0;
    for (let line = 0; line < itemCount; line++) {
      const item = picker.pick(random, taste);
      amount += Number(item.price);
      time += random.int(5, 60);
      emit('added_to_cart', item.id);
    }
    const orderId = sequences.nextOrderId();
    time = Math.max(time + random.int(30, 240), session.orderTime);
    emit('order_completed', '', orderId);
    orders.push([orderId, customer.id, itemCount, amount.toFixed(2), isoOf(time)]);
  }
  return { events, orders, anonymousIds: devices.filter((device) => usedDevices.has(device)) };
}

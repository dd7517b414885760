/** Personalize interactions: who touched which item, when, and how. */
import type { ItemPicker } from './catalog';
import { activeDaysOf, customers, type Customer } from './customers';
import { randomFor } from './random';

export const EVENT_TYPES = ['click', 'watch', 'purchase'] as const;
const EVENT_TYPE_WEIGHTS = [55, 35, 10];

/** USER_ID, ITEM_ID, TIMESTAMP (epoch seconds), EVENT_TYPE. */
export type InteractionRow = readonly [string, string, number, string];

/** A customer's share of the interactions: engagement times days active, so churners have fewer. */
function weightOf(customer: Customer): number {
  return customer.activity * activeDaysOf(customer);
}

/**
 * Splits exactly `total` interactions over the customers in proportion to their weight, one
 * customer at a time: count = round(total * weight-so-far / all-weight) minus the same before
 * this customer. The all-weight needs one cheap pass over the customers first.
 */
export function createInteractionAllocator(seed: number, users: number, total: number) {
  let allWeight = 0;
  for (const customer of customers(seed, users)) allWeight += weightOf(customer);
  let weightSoFar = 0;
  let allocated = 0;
  return {
    /** Call once per customer, in ID order. */
    next(customer: Customer): number {
      weightSoFar += weightOf(customer);
      const upTo = allWeight > 0 ? Math.round((total * weightSoFar) / allWeight) : 0;
      const count = upTo - allocated;
      allocated = upTo;
      return count;
    },
  };
}

/** The customer's interactions, oldest first, spread over the days they were active. */
export function interactionsOf(
  seed: number,
  customer: Customer,
  count: number,
  picker: ItemPicker,
): InteractionRow[] {
  const random = randomFor(seed, 'interactions', customer.index);
  const taste = {
    genre: customer.favouriteGenre,
    category: customer.favouriteCategory,
    loyalty: customer.loyalty,
  };
  const span = customer.activeUntil - customer.activeFrom;
  const times = Array.from({ length: count }, () => customer.activeFrom + Math.floor(random.next() * span));
  times.sort((a, b) => a - b);
  return times.map((time) => [
    customer.id,
    picker.pick(random, taste).id,
    time,
    random.weighted(EVENT_TYPES, EVENT_TYPE_WEIGHTS),
  ]);
}

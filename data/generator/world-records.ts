/**
 * The whole world as a stream: the catalogue, then every customer with all their rows in every
 * file. Memory holds the catalogue and one customer at a time, whatever the size.
 */
import { createItemPicker, generateCatalogue, type Item } from './catalog';
import type { CsvRecord } from './csv-writer';
import { customers, type Customer } from './customers';
import type { CustomerFile } from './files';
import { identityRecordsOf } from './identities';
import { createInteractionAllocator, interactionsOf } from './interactions';
import { endpointsOf } from './pinpoint';
import { webRecordsOf } from './web';
import { createSequences, isoOf, itemCountFor, type WorldOptions } from './world';

/** One customer and their rows, file by file. */
export interface CustomerRecords {
  readonly customer: Customer;
  readonly rows: Readonly<Record<CustomerFile, readonly CsvRecord[]>>;
}

export interface World {
  readonly items: readonly Item[];
  /** Every customer's rows, in customer ID order; iterate once. */
  readonly customerRecords: Iterable<CustomerRecords>;
}

export function itemRowOf(item: Item): CsvRecord {
  return [item.id, item.genres.join('|'), item.price, item.category, item.createdAt];
}

export function createWorld(options: WorldOptions): World {
  const { seed, users } = options;
  const items = generateCatalogue(seed, itemCountFor(users));
  return { items, customerRecords: customerRecordsOf(options, items) };
}

function* customerRecordsOf(options: WorldOptions, items: readonly Item[]): Generator<CustomerRecords> {
  const { seed, users } = options;
  const picker = createItemPicker(items);
  const sequences = createSequences(users);
  const allocator = createInteractionAllocator(seed, users, options.interactions);
  for (const customer of customers(seed, users)) {
    const identities = identityRecordsOf(seed, users, customer, sequences);
    const web = webRecordsOf(seed, customer, picker, sequences);
    yield {
      customer,
      rows: {
        users: [[customer.id, customer.age, customer.gender]],
        interactions: interactionsOf(seed, customer, allocator.next(customer), picker),
        crmCustomers: identities.crm,
        storeSales: identities.store,
        webEvents: web.events,
        webOrders: web.orders,
        pinpointEndpoints: endpointsOf(seed, customer),
        truthCustomers: [
          [
            customer.id,
            customer.favouriteGenre,
            customer.favouriteCategory,
            customer.churnProbability.toFixed(4),
            String(customer.churned),
            customer.churned ? isoOf(customer.activeUntil) : '',
            customer.repurchaseProbability.toFixed(4),
            customer.householdId ?? '',
          ],
        ],
        churnScores: [[customer.id, customer.churnProbability.toFixed(4)]],
        repurchaseScores: [[customer.id, customer.repurchaseProbability.toFixed(4)]],
        truthIdentities: [
          ...identities.truth,
          ...web.anonymousIds.map((anonymousId) => ['web', anonymousId, customer.id, 'device'] as const),
        ],
      },
    };
  }
}

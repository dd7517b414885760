/** The small JSON summary of what was planted, counted while the world streams past. */
import { GENRES } from './catalog';
import { OUTPUT_FILES } from './files';
import type { CustomerRecords } from './world-records';
import { RECENT_DAYS, WINDOW_END, WINDOW_START, isoOf, type WorldOptions } from './world';

/** Running counts; one per world, updated once per customer. */
export interface Tally {
  customers: number;
  churned: number;
  churnProbabilitySum: number;
  repurchaseProbabilitySum: number;
  /** Households counted once, at their first member. */
  households: number;
  favouriteGenres: Record<string, number>;
  duplicateClusters: number;
  clustersByKind: Record<string, number>;
}

export function createTally(): Tally {
  return {
    customers: 0,
    churned: 0,
    churnProbabilitySum: 0,
    repurchaseProbabilitySum: 0,
    households: 0,
    favouriteGenres: Object.fromEntries(GENRES.map((genre) => [genre, 0])),
    duplicateClusters: 0,
    clustersByKind: {},
  };
}

/** Adds one customer. A duplicate cluster is a person with two or more CRM or store records. */
export function tallyCustomer(tally: Tally, { customer, rows }: CustomerRecords): void {
  tally.customers++;
  if (customer.churned) tally.churned++;
  tally.churnProbabilitySum += customer.churnProbability;
  tally.repurchaseProbabilitySum += customer.repurchaseProbability;
  if (customer.householdId === customer.id) tally.households++;
  tally.favouriteGenres[customer.favouriteGenre]!++;
  const records = rows.truthIdentities.filter(([source]) => source === 'crm' || source === 'store');
  if (records.length < 2) return;
  tally.duplicateClusters++;
  const kinds = new Set(records.map((record) => String(record[3])));
  kinds.delete('original');
  for (const kind of kinds) tally.clustersByKind[kind] = (tally.clustersByKind[kind] ?? 0) + 1;
}

/** Fixed key order and rounded numbers, so the JSON is byte-identical per seed. */
export function summaryOf(options: WorldOptions, items: number, tally: Tally, rows: Record<string, number>) {
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    seed: options.seed,
    users: options.users,
    interactions: options.interactions,
    items,
    window: { start: isoOf(WINDOW_START), end: isoOf(WINDOW_END), recentDays: RECENT_DAYS },
    files: rows,
    favouriteGenres: tally.favouriteGenres,
    duplicates: {
      description: `${OUTPUT_FILES.truthIdentities.path} maps every CRM record, store receipt and web device to its person (customer_id); a cluster is a person with 2+ CRM/store records`,
      clusters: tally.duplicateClusters,
      clustersByKind: Object.fromEntries(
        Object.entries(tally.clustersByKind).sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      sharedEmailHouseholds: tally.households,
    },
    churn: {
      description: `${OUTPUT_FILES.truthCustomers.path}: churn_probability per customer; churned customers go quiet at churned_at`,
      churned: tally.churned,
      churnRate: round(tally.churned / Math.max(1, tally.customers)),
      meanChurnProbability: round(tally.churnProbabilitySum / Math.max(1, tally.customers)),
    },
    repurchase: {
      description: `${OUTPUT_FILES.truthCustomers.path}: repurchase_probability, the chance each web order is followed by another`,
      meanRepurchaseProbability: round(tally.repurchaseProbabilitySum / Math.max(1, tally.customers)),
    },
  };
}

export type WorldSummary = ReturnType<typeof summaryOf>;

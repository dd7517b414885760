import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../lambdas/core/propensity/features-sql';
import type { FeatureTable } from '../../../lambdas/core/propensity/feature-table';
import { DuckDbFeatures } from '../../../lambdas/local/propensity/duckdb-features';
import { ingestPlanted, type PlantedWorld } from './landing';

const CUTOFF = new Date('2025-10-01T00:00:00Z');

/**
 * Ada (C1) buys on the web and in a store (the store sale carries only her name and email);
 * Bob (C2) never buys; Cy (C3) signs up after the cutoff.
 */
const WORLD: PlantedWorld = {
  customers: [
    ['C1', 'ada@example.com', 'Ada', 'Lovelace', '', '10001', '2025-01-01T00:00:00Z'],
    ['C2', 'bob@example.org', 'Bob', 'Marley', '', '20002', '2025-06-01T00:00:00Z'],
    ['C3', 'cy@example.net', 'Cy', 'Twombly', '', '30003', '2025-11-01T00:00:00Z'],
  ],
  orders: [
    ['O1', 'C1', '1', '20.00', '2025-03-01T00:00:00Z'],
    ['O2', 'C1', '2', '30.00', '2025-08-01T00:00:00Z'],
    ['O3', 'C1', '1', '50.00', '2025-09-20T00:00:00Z'],
  ],
  sales: [['R1', 'S01', 'Ada Lovelace', 'ada@example.com', '', '10001', '40.00', '2025-09-25T00:00:00Z']],
  events: [
    // Signed in on device d-ada; an earlier anonymous visit on the same device is hers too.
    ['d-ada', '', 'page_viewed', '', '', '2025-08-01T00:00:00Z'],
    ['d-ada', 'C1', 'signed_in', '', '', '2025-09-30T11:59:00Z'],
    ['d-ada', 'C1', 'page_viewed', '', '', '2025-09-30T12:00:00Z'],
    ['d-bob', 'C2', 'page_viewed', '', '', '2025-05-01T00:00:00Z'],
  ],
};

/** The same world with purchases the day after the cutoff: an order by Bob, a store sale by Ada. */
const WITH_NEXT_DAY: PlantedWorld = {
  ...WORLD,
  orders: [...WORLD.orders, ['O4', 'C2', '1', '99.00', '2025-10-02T00:00:00Z']],
  sales: [
    ...WORLD.sales,
    ['R2', 'S01', 'Ada Lovelace', 'ada@example.com', '', '10001', '15.00', '2025-10-02T00:00:00Z'],
  ],
};

let root: string;
let table: FeatureTable;
let later: FeatureTable;

async function featuresOf(world: PlantedWorld, name: string): Promise<FeatureTable> {
  const out = path.join(root, `${name}-out`);
  await ingestPlanted(path.join(root, name), out, world);
  const engine = await DuckDbFeatures.open(out);
  try {
    return await engine.featureTable({
      cutoffs: [
        { at: CUTOFF, everyone: false },
        { at: CUTOFF, everyone: true },
      ],
      churnDays: 90,
      repurchaseDays: 30,
    });
  } finally {
    engine.close();
  }
}

function row(t: FeatureTable, customer: string, cutoffIndex = 0): Record<string, number> {
  const r = t.customerIds.findIndex((id, i) => id === customer && t.cutoffIndex[i] === cutoffIndex);
  if (r < 0) throw new Error(`${customer} has no row at cutoff ${cutoffIndex}`);
  return Object.fromEntries([
    ...FEATURE_NAMES.map((name, f) => [name, t.features[f]![r]!]),
    ['purchasesInChurnWindow', t.purchasesInChurnWindow[r]!],
    ['purchasesInRepurchaseWindow', t.purchasesInRepurchaseWindow[r]!],
  ]);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-features-'));
  table = await featuresOf(WORLD, 'world');
  later = await featuresOf(WITH_NEXT_DAY, 'next-day');
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('the propensity features on DuckDB', () => {
  it('match a hand computation for a customer who buys online and in store', () => {
    const ada = row(table, 'C1');

    expect(ada).toMatchObject({
      tenure_days: 273,
      recency_days: 6,
      recency_days_web: 11,
      recency_days_store: 6,
      frequency_30d: 2,
      frequency_30d_web: 1,
      frequency_30d_store: 1,
      frequency_90d: 3,
      frequency_90d_web: 2,
      frequency_365d: 4,
      frequency_365d_web: 3,
      frequency_365d_store: 1,
      monetary_30d: 90,
      monetary_90d: 120,
      monetary_365d: 140,
      monetary_365d_web: 100,
      monetary_365d_store: 40,
      online_share_365d: 0.75,
      average_order_value_365d: 35,
      trend_90d: 3,
      purchases_ever: 4,
      days_since_visit: 0.5,
      visits_30d: 1,
      visits_90d: 2,
    });
  });

  it('give a customer who never bought missing recency and zero counts', () => {
    const bob = row(table, 'C2');

    expect(bob['tenure_days']).toBe(122);
    expect(bob['recency_days']).toBeNaN();
    expect(bob['online_share_365d']).toBeNaN();
    expect(bob['average_order_value_365d']).toBeNaN();
    expect(bob['frequency_365d']).toBe(0);
    expect(bob['monetary_365d']).toBe(0);
    expect(bob['days_since_visit']).toBe(153);
    expect(bob['visits_90d']).toBe(0);
  });

  it('leave customers created after a training cutoff out, and score everyone at the as-of cutoff', () => {
    const trainingCustomers = table.customerIds.filter((_, i) => table.cutoffIndex[i] === 0);
    const scoredCustomers = table.customerIds.filter((_, i) => table.cutoffIndex[i] === 1);

    expect(trainingCustomers.sort()).toEqual(['C1', 'C2']);
    expect(scoredCustomers.sort()).toEqual(['C1', 'C2', 'C3']);
  });

  it('let a purchase the day after the cutoff move no feature, only the labels', () => {
    for (const customer of ['C1', 'C2']) {
      const before = row(table, customer);
      const after = row(later, customer);
      for (const name of FEATURE_NAMES) expect(after[name], `${customer} ${name}`).toEqual(before[name]);
      expect(after['purchasesInChurnWindow']).toBe(before['purchasesInChurnWindow']! + 1);
      expect(after['purchasesInRepurchaseWindow']).toBe(before['purchasesInRepurchaseWindow']! + 1);
    }
  });

  it('keep every as-of row and only a hashed share of customers at the training cutoffs when sampled', async () => {
    const engine = await DuckDbFeatures.open(path.join(root, 'world-out'));
    try {
      const options = {
        cutoffs: [
          { at: CUTOFF, everyone: true },
          { at: new Date('2025-09-01T00:00:00Z'), everyone: false },
        ],
        churnDays: 90,
        repurchaseDays: 30,
      };
      const count = (t: FeatureTable, cutoff: number) => t.cutoffIndex.filter((c) => c === cutoff).length;
      const whole = await engine.featureTable(options);
      const sampled = await engine.featureTable(options, 1e-6);

      expect(count(whole, 0)).toBe(3);
      expect(count(whole, 1)).toBe(2); // C3 signs up after both cutoffs
      expect(count(sampled, 0)).toBe(3);
      expect(count(sampled, 1)).toBe(0);
      await expect(engine.featureTable(options, 0)).rejects.toThrow(/training share/);
    } finally {
      engine.close();
    }
  });
});

/**
 * `cdp score`'s stages after ingestion (features, training, scoring, writing, win-back) at a size
 * the generator and the JS ingestion cannot reach in a sitting on this machine:
 *
 *   npx tsx bench/propensity-scale.ts --zone <ingested zone> --copies 20 --purchases 5 --out tmp/zone-1m
 *
 * It tiles an ingested trusted zone (as `npm run bench:propensity -- --zone <dir>` leaves it) with
 * DuckDB: `--copies` copies of every customer, web event and identity-map row (IDs suffixed
 * `~k`), and `--purchases` × `--copies` copies of every web order and store sale, each extra
 * purchase copy moved 7·j days earlier, so a 50k-customer zone with `--copies 20 --purchases 5`
 * holds 1M customers and about 9.3M purchases. The copies are made for the timing, not the
 * accuracy: duplicated customers carry no new signal (bench:propensity measures accuracy).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { runScoring } from '../lambdas/local/propensity/score-run';
import { IDENTITY_MAP_KEY } from '../lambdas/core/identity/identity-run';
import { formatTable, n } from '../lambdas/local/table';

const { values: args } = parseArgs({
  options: {
    zone: { type: 'string' },
    out: { type: 'string' },
    copies: { type: 'string', default: '20' },
    purchases: { type: 'string', default: '5' },
  },
});
if (!args.zone || !args.out) throw new Error('--zone <ingested zone> and --out <dir> are required');
const source = path.resolve(args.zone);
const out = path.resolve(args.out);
const copies = Number(args.copies);
const purchaseCopies = Number(args.purchases);
const AS_OF = new Date('2025-10-03T00:00:00Z');

const cpu = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};
const glob = (folder: string) =>
  `read_parquet('${path.join(source, 'trusted', folder)}/**/*.parquet', hive_partitioning = false)`;

async function tile(): Promise<Record<string, number>> {
  await rm(out, { recursive: true, force: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  const k = `range(${copies}) AS k(k)`;
  const j = `range(${purchaseCopies}) AS j(j)`;
  const suffix = (column: string, copy = 'k') => `${column} || '~' || CAST(${copy} AS VARCHAR)`;
  const tables: [string, string][] = [
    [
      'crm/customers',
      `SELECT * REPLACE (${suffix('customer_id')} AS customer_id) FROM ${glob('crm/customers')}, ${k}`,
    ],
    [
      'web/events',
      `SELECT * REPLACE (${suffix('anonymous_id')} AS anonymous_id, ${suffix('customer_id')} AS customer_id) FROM ${glob('web/events')}, ${k}`,
    ],
    [
      'web/orders',
      `SELECT * REPLACE (${suffix('order_id')} || '-' || CAST(j AS VARCHAR) AS order_id, ${suffix('customer_id')} AS customer_id,
         ordered_at - to_days(CAST(7 * j AS INTEGER)) AS ordered_at) FROM ${glob('web/orders')}, ${k}, ${j}`,
    ],
    [
      'store/sales',
      `SELECT * REPLACE (${suffix('receipt_id')} || '-' || CAST(j AS VARCHAR) AS receipt_id,
         sold_at - to_days(CAST(7 * j AS INTEGER)) AS sold_at) FROM ${glob('store/sales')}, ${k}, ${j}`,
    ],
  ];
  const rows: Record<string, number> = {};
  for (const [folder, sql] of tables) {
    const dir = path.join(out, 'trusted', folder, 'ingest_date=2026-01-01');
    await mkdir(dir, { recursive: true });
    await db.run(`COPY (${sql}) TO '${path.join(dir, 'part-0.parquet')}' (FORMAT PARQUET)`);
    const count = await db.runAndReadAll(`SELECT COUNT(*) FROM read_parquet('${dir}/*.parquet')`);
    rows[folder] = Number(count.getRows()[0]![0]);
  }
  const map = path.join(source, IDENTITY_MAP_KEY);
  const target = path.join(out, IDENTITY_MAP_KEY);
  await mkdir(path.dirname(target), { recursive: true });
  await db.run(`COPY (
    SELECT source, ${suffix('source_id')} AS source_id, ${suffix('customer_id')} AS customer_id
    FROM read_parquet('${map}'), ${k} WHERE source <> 'store'
    UNION ALL
    SELECT source, ${suffix('source_id')} || '-' || CAST(j AS VARCHAR), ${suffix('customer_id')}
    FROM read_parquet('${map}'), ${k}, ${j} WHERE source = 'store'
  ) TO '${target}' (FORMAT PARQUET)`);
  db.closeSync();
  instance.closeSync();
  return rows;
}

let start = performance.now();
const rows = await tile();
console.log(
  `Tiled zone in ${((performance.now() - start) / 1000).toFixed(1)} s: ${n(rows['crm/customers']!)} CRM rows, ${n(rows['web/orders']! + rows['store/sales']!)} purchases, ${n(rows['web/events']!)} web events`,
);

start = performance.now();
const cpuStart = cpu();
const result = await runScoring({ zoneDir: out, asOf: AS_OF, run: 'scale' });
const wall = (performance.now() - start) / 1000;
for (const line of formatTable(
  ['stage', 'wall s', 'CPU s'],
  Object.entries(result.seconds).map(([stage, s]) => [
    stage,
    s.toFixed(1),
    (result.cpuSeconds[stage] ?? Number.NaN).toFixed(1),
  ]),
  new Set([1, 2]),
))
  console.log(line);
console.log(
  `${n(result.customersScored)} customers scored in ${wall.toFixed(1)} s wall, ${(cpu() - cpuStart).toFixed(1)} s CPU (after ingestion); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
for (const r of result.reports)
  console.log(
    `${r.model}: ${n(r.trainingExamples)} training examples, ${r.rounds} trees, validation AUC ${r.auc.toFixed(4)}`,
  );

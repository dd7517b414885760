/**
 * `cdp score` end to end (ingestion included) at a size the generator cannot reach in a sitting:
 *
 *   npx tsx bench/propensity-landing.ts --world tmp/w50k --out tmp/l1m --copies 20 --purchases 5
 *
 * `--world` is a generated landing folder (as `npm run bench:propensity -- --world <dir>` leaves
 * it). DuckDB tiles its CSVs into `<out>/landing`: `--copies` copies of every customer, store
 * receipt and web event, each copy with its own IDs, emails, phones and last names (so identity
 * resolution keeps the copies apart), and `--purchases` × `--copies` copies of every web order and
 * store sale, each extra purchase copy moved 7·j days earlier. From a 50k-customer world,
 * `--copies 20 --purchases 5` gives 1M customers and about 9.3M purchases. `--reuse` keeps a landing
 * folder made before.
 *
 * Then `cdp score`'s stages, timed one by one (wall and CPU seconds): the files ingested on one
 * worker thread per core (as `cdp score` does), identity resolution, then the features, training,
 * scoring and win-back audience of `runScoring`. The copies are for timing, not accuracy.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store';
import { resolveTrustedIdentities } from '../lambdas/core/identity/identity-run';
import { DEFAULT_MAX_BAD_SHARE } from '../lambdas/core/ingest/ingest-file';
import { ingestFolder } from '../lambdas/local/commands/ingest';
import { SCORED_DATASETS } from '../lambdas/local/commands/score';
import { runScoring } from '../lambdas/local/propensity/score-run';
import { formatTable, n } from '../lambdas/local/table';

const { values: args } = parseArgs({
  options: {
    world: { type: 'string' },
    out: { type: 'string' },
    copies: { type: 'string', default: '20' },
    purchases: { type: 'string', default: '5' },
    reuse: { type: 'boolean', default: false },
    workers: { type: 'string' },
  },
});
if (!args.world || !args.out)
  throw new Error('--world <generated landing folder> and --out <dir> are required');
const world = path.resolve(args.world);
const out = path.resolve(args.out);
const landing = path.join(out, 'landing');
const zone = path.join(out, 'zone');
const copies = Number(args.copies);
const purchaseCopies = Number(args.purchases);
const workers = Number(args.workers ?? os.availableParallelism());
const AS_OF = new Date('2025-10-03T00:00:00Z');

const cpu = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

async function tile(): Promise<Record<string, number>> {
  await rm(out, { recursive: true, force: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  const csv = (file: string) => `read_csv('${path.join(world, file)}', all_varchar = true, header = true)`;
  const k = `range(${copies}) AS k(k)`;
  const j = `range(${purchaseCopies}) AS j(j)`;
  const id = (column: string) => `${column} || '-k' || CAST(k AS VARCHAR)`;
  // Copy 0 keeps the world's values; a failed parse keeps the raw text (the world plants bad rows).
  const copyOf = (column: string, changed: string) => `CASE WHEN k = 0 THEN ${column} ELSE ${changed} END`;
  const email = copyOf('email', `regexp_replace(email, '@', 'k' || CAST(k AS VARCHAR) || '@')`);
  const phone = copyOf('phone', `regexp_replace(phone, '555', '5' || lpad(CAST(k AS VARCHAR), 2, '0'))`);
  const earlier = (column: string) =>
    `CASE WHEN j = 0 THEN ${column} ELSE COALESCE(strftime(TRY_CAST(${column} AS TIMESTAMP) - to_days(CAST(7 * j AS INTEGER)), '%Y-%m-%dT%H:%M:%SZ'), ${column}) END`;
  const files: [string, string][] = [
    [
      'crm/customers.csv',
      `SELECT ${id('customer_id')} AS customer_id, ${email} AS email, first_name,
         ${copyOf('last_name', 'last_name || chr(97 + CAST(k AS INTEGER))')} AS last_name, ${phone} AS phone, postcode, created_at
       FROM ${csv('crm/customers.csv')}, ${k}`,
    ],
    [
      'web/events.csv',
      `SELECT ${id('anonymous_id')} AS anonymous_id, ${id('customer_id')} AS customer_id, event, item_id,
         ${id('order_id')} || '-0' AS order_id, "timestamp"
       FROM ${csv('web/events.csv')}, ${k}`,
    ],
    [
      'web/orders.csv',
      `SELECT ${id('order_id')} || '-' || CAST(j AS VARCHAR) AS order_id, ${id('customer_id')} AS customer_id,
         item_count, amount, ${earlier('ordered_at')} AS ordered_at
       FROM ${csv('web/orders.csv')}, ${k}, ${j}`,
    ],
    [
      'store/sales.csv',
      `SELECT ${id('receipt_id')} || '-' || CAST(j AS VARCHAR) AS receipt_id, store_id,
         ${copyOf('name', 'name || chr(97 + CAST(k AS INTEGER))')} AS name, ${email} AS email, ${phone} AS phone, postcode,
         amount, ${earlier('sold_at')} AS sold_at
       FROM ${csv('store/sales.csv')}, ${k}, ${j}`,
    ],
  ];
  const rows: Record<string, number> = {};
  for (const [file, sql] of files) {
    const target = path.join(landing, file);
    await mkdir(path.dirname(target), { recursive: true });
    await db.run(`COPY (${sql}) TO '${target}' (FORMAT CSV, HEADER true)`);
    const count = await db.runAndReadAll(`SELECT COUNT(*) FROM read_csv('${target}', all_varchar = true)`);
    rows[file] = Number(count.getRows()[0]![0]);
  }
  db.closeSync();
  instance.closeSync();
  return rows;
}

if (!(args.reuse && existsSync(landing))) {
  const start = performance.now();
  const rows = await tile();
  console.log(
    `Tiled landing folder in ${((performance.now() - start) / 1000).toFixed(1)} s: ${n(rows['crm/customers.csv']!)} CRM rows, ${n(rows['web/orders.csv']! + rows['store/sales.csv']!)} purchases, ${n(rows['web/events.csv']!)} web events`,
  );
}
await rm(zone, { recursive: true, force: true });

const times: [string, number, number][] = [];
const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const cpuStart = cpu();
  const result = await work();
  times.push([stage, (performance.now() - start) / 1000, cpu() - cpuStart]);
  console.log(`${stage}: ${times.at(-1)![1].toFixed(1)} s`);
  return result;
};
const quiet = { log: () => undefined, error: (line: string) => console.error(line) };
// cdp score's ingest in its two parts, with cdp score's settings: the files, then identity.
await timed(`ingest files (${workers} worker threads)`, () =>
  ingestFolder(
    landing,
    {
      out: zone,
      maxBadShare: DEFAULT_MAX_BAD_SHARE,
      phoneRegion: 'US',
      identity: false,
      datasets: SCORED_DATASETS,
      workers,
    },
    quiet,
  ),
);
await timed('identity resolution', () => resolveTrustedIdentities(new LocalObjectStore({ root: zone })));
const result = await runScoring({ zoneDir: zone, asOf: AS_OF, run: 'scale' });
for (const [stage, s] of Object.entries(result.seconds))
  times.push([stage, s, result.cpuSeconds[stage] ?? Number.NaN]);

console.log('\nTime per stage (CPU: user + system over all threads of this process)');
for (const line of formatTable(
  ['stage', 'wall s', 'CPU s'],
  times.map(([stage, s, c]) => [stage, s.toFixed(1), c.toFixed(1)]),
  new Set([1, 2]),
))
  console.log(line);
const wall = times.reduce((a, [, s]) => a + s, 0);
const cpuTotal = times.reduce((a, [, , c]) => a + c, 0);
console.log(
  `cdp score total: ${wall.toFixed(1)} s wall, ${cpuTotal.toFixed(1)} s CPU, ${n(result.customersScored)} customers scored; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' ',
    )}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (this thread's process; worker threads share it)`,
);
for (const r of result.reports)
  console.log(
    `${r.model}: ${n(r.trainingExamples)} training examples, ${r.rounds} trees, validation AUC ${r.auc.toFixed(4)}`,
  );

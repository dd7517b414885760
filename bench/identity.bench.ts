/**
 * Identity benchmark: how well and how fast records are resolved into customers, on generated
 * worlds whose true identities are known (`ground-truth/identities.csv`).
 *
 *   npm run bench:identity                       # about 10k and 1M source records
 *   npm run bench:identity -- --records 10000    # one size
 *
 * Each size runs in its own child process (peak RSS = that process's maxRSS). Worlds are cached in
 * bench/out/identity/. Records are read through the ingestion validators (the same normalisers as
 * the pipeline), then resolved; the two times are reported apart. Quality is pairwise precision and
 * recall of the merges against the truth, overall, for records that carry any evidence (web devices
 * that never signed in carry none), and per variation kind.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { generateSampleData } from '../data/generator/write-world';
import { IdentityRecordsBuilder } from '../lambdas/core/identity/identity-run';
import {
  type IdentityRecord,
  MERGE_RULES,
  recordKey,
  resolveIdentities,
} from '../lambdas/core/identity/resolve';
import { datasetForKey } from '../lambdas/core/ingest/datasets';
import { readDatasetRows } from '../lambdas/core/ingest/read-rows';
import { identityQuality, type IdentityQuality } from './identity-quality';

const DIR = 'bench/out/identity';
const SELF = fileURLToPath(import.meta.url);
/** Source records per generated customer, measured on the sample (5,468 records for 2,000 customers). */
const RECORDS_PER_USER = 2.73;

interface Measure {
  readonly records: number;
  readonly loadSeconds: number;
  readonly resolveSeconds: number;
  readonly rssMb: number;
  readonly profiles: number;
  readonly merges: Record<string, number>;
  readonly reviewPairs: number;
  readonly quality: IdentityQuality;
}

async function recordsOf(world: string): Promise<IdentityRecord[]> {
  const builder = new IdentityRecordsBuilder();
  const sources: [string, (row: Record<string, unknown>) => void][] = [
    ['crm/customers.csv', (row) => builder.addCrm(row)],
    ['store/sales.csv', (row) => builder.addReceipt(row)],
    ['web/events.csv', (row) => builder.addWebEvent(row)],
  ];
  for (const [key, add] of sources) {
    let names: string[] = [];
    const stream = createReadStream(path.join(world, key), { highWaterMark: 1 << 20 });
    for await (const record of readDatasetRows(stream, datasetForKey(key)!, key)) {
      if (record.kind === 'header') names = record.columns.map((c) => c.name);
      else if (record.kind === 'row')
        add(Object.fromEntries(names.map((name, i) => [name, record.values[i]])));
    }
  }
  return builder.build();
}

async function child(world: string): Promise<void> {
  let started = performance.now();
  const records = await recordsOf(world);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const resolution = resolveIdentities(records);
  const resolveSeconds = (performance.now() - started) / 1000;

  const predicted = new Map(records.map((r, i) => [recordKey(r), resolution.customerIds[i]!]));
  const unlinkable = new Set(
    records.filter((r) => r.source === 'web' && !r.signedInAs?.length).map(recordKey),
  );
  const truth = (
    parse(readFileSync(path.join(world, 'ground-truth/identities.csv')), { columns: true }) as Record<
      string,
      string
    >[]
  ).map((row) => ({
    key: `${row['source']}:${row['record_id']}`,
    person: row['customer_id']!,
    variation: row['variation']!,
  }));
  const measure: Measure = {
    records: records.length,
    loadSeconds,
    resolveSeconds,
    rssMb: process.resourceUsage().maxRSS / 1024,
    profiles: resolution.members.size,
    merges: { ...resolution.merges },
    reviewPairs: resolution.review.length,
    quality: identityQuality(truth, predicted, unlinkable),
  };
  process.stdout.write(`${JSON.stringify(measure)}\n`);
}

async function worldFor(records: number): Promise<string> {
  const users = Math.max(100, Math.round(records / RECORDS_PER_USER));
  const world = path.join(DIR, `users-${users}`);
  if (!existsSync(path.join(world, 'ground-truth/identities.csv'))) {
    console.error(`generating ${users.toLocaleString('en-US')} customers into ${world} …`);
    await generateSampleData({ seed: 42, users, interactions: users, outDir: world });
  }
  return world;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { child: { type: 'string' }, records: { type: 'string', multiple: true } },
  });
  if (values.child) return child(values.child);
  const sizes = (values.records ?? ['10000', '1000000']).map(Number);
  const results: Measure[] = [];
  for (const size of sizes) {
    const world = await worldFor(size);
    console.error(`resolving ~${size.toLocaleString('en-US')} records …`);
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--max-old-space-size=8192', SELF, '--child', world],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const measure = JSON.parse(output.trim().split('\n').at(-1)!) as Measure;
    results.push(measure);
    const q = measure.quality;
    console.log(`\n## ${measure.records.toLocaleString('en-US')} source records`);
    console.log(
      `load (validate + build) ${measure.loadSeconds.toFixed(2)} s, resolve ${measure.resolveSeconds.toFixed(2)} s, peak RSS ${measure.rssMb.toFixed(0)} MB`,
    );
    console.log(
      `profiles ${measure.profiles.toLocaleString('en-US')}, review pairs ${measure.reviewPairs}, merges ${MERGE_RULES.map((r) => `${r} ${measure.merges[r]}`).join(', ')}`,
    );
    console.log(
      `pairwise precision ${pct(q.precision)} (goal ≥ 99.5 %), recall ${pct(q.recall)} (goal ≥ 95 %), recall of records with evidence ${pct(q.linkableRecall)}`,
    );
    console.log(
      `true pairs ${q.truePairs.toLocaleString('en-US')}, predicted pairs ${q.predictedPairs.toLocaleString('en-US')}, truth records not in the map ${q.missing}`,
    );
    console.log('| variation | linked | records | recall |\n|---|---|---|---|');
    for (const [variation, { linked, records }] of Object.entries(q.byVariation).sort()) {
      console.log(`| ${variation} | ${linked} | ${records} | ${pct(linked / records)} |`);
    }
  }
  if (results.length >= 2) {
    const [small, large] = [results[0]!, results.at(-1)!];
    const timeRatio = (large.loadSeconds + large.resolveSeconds) / (small.loadSeconds + small.resolveSeconds);
    const recordRatio = large.records / small.records;
    console.log(
      `\n${recordRatio.toFixed(0)}× the records took ${timeRatio.toFixed(1)}× the time (load + resolve; goal < 150×); resolve alone ${(large.resolveSeconds / small.resolveSeconds).toFixed(1)}×`,
    );
  }
}

await main();

/**
 * Privacy benchmark: erase 100 subjects from a generated lake in one request, and count what was
 * touched against what had to be.
 *
 *   npm run bench:privacy                          # 1,000,000 customers
 *   npm run bench:privacy -- --users 100000 --subjects 100 --parts 8
 *
 * The lake is generated once (`data/generator`, seed 9), its CRM, store and web files split into
 * `--parts` deliveries so the trusted zone holds several objects per dataset, then ingested with
 * `cdp ingest` (trusted zone, quarantine, identity map), and cached in bench/out/privacy/<users>/.
 * Each run erases from a fresh copy of that tree, in a child process whose peak RSS is reported.
 * Subjects are every `users / subjects`-th customer of the ground truth.
 *
 * Before the erasure the copy's key indexes are built (`indexZone`, timed apart: it reads the whole
 * lake once, as the first erasure of an unindexed lake would). With `--no-index` the erasure runs on
 * the unindexed copy: every candidate is read, and indexes are written as a side effect.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSampleData } from '../data/generator/write-world';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store';
import { indexZone } from '../lambdas/core/privacy/index-zone';
import { INDEX_PREFIX } from '../lambdas/core/privacy/key-index';
import { runPrivacyRequest } from '../lambdas/core/privacy/privacy-request';
import { parseSubject } from '../lambdas/core/privacy/subject';
import { ingestFolder } from '../lambdas/local/commands/ingest';

const DIR = 'bench/out/privacy';
const SELF = fileURLToPath(import.meta.url);

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    interactions: { type: 'string' },
    subjects: { type: 'string', default: '100' },
    parts: { type: 'string', default: '8' },
    child: { type: 'string' },
    'no-index': { type: 'boolean', default: false },
  },
});
const users = Number(values.users);
const interactions = Number(values.interactions ?? users * 2);
const subjects = Number(values.subjects);
const parts = Number(values.parts);
const quiet = { log: () => undefined, error: () => undefined };

/** Splits a landing CSV into `parts` deliveries, header repeated, rows dealt in turn. */
async function split(file: string): Promise<void> {
  const outs = Array.from({ length: parts }, (_, i) =>
    createWriteStream(file.replace(/\.csv$/, `-part${i + 1}.csv`)),
  );
  let header: string | undefined;
  let row = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (header === undefined) {
      header = line;
      for (const out of outs) out.write(`${line}\n`);
    } else if (line !== '') {
      const out = outs[row++ % parts]!;
      if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await Promise.all(outs.map((out) => new Promise<void>((resolve) => out.end(() => resolve()))));
  await rm(file);
}

async function lake(): Promise<{ tree: string; landing: string; seconds: number }> {
  const base = path.join(DIR, String(users));
  const tree = path.join(base, 'tree');
  const landing = path.join(base, 'landing');
  if (existsSync(path.join(tree, 'trusted/identity/profiles/profiles.parquet')))
    return { tree, landing, seconds: 0 };
  const started = performance.now();
  await rm(base, { recursive: true, force: true });
  await generateSampleData({ seed: 9, users, interactions, outDir: landing });
  for (const file of ['crm/customers.csv', 'store/sales.csv', 'web/events.csv'])
    await split(path.join(landing, file));
  await ingestFolder(
    landing,
    { out: tree, maxBadShare: 0.05, phoneRegion: 'US', ingestDate: '2026-12-02' },
    quiet,
  );
  return { tree, landing, seconds: (performance.now() - started) / 1000 };
}

async function child(): Promise<void> {
  const [tree, landing] = values.child!.split('|') as [string, string];
  const copy = path.join(DIR, String(users), 'erase');
  await rm(copy, { recursive: true, force: true });
  await cp(tree, copy, { recursive: true });
  const ids: string[] = [];
  const truth = (await readFile(path.join(landing, 'ground-truth/customers.csv'), 'utf8'))
    .split('\n')
    .slice(1);
  const step = Math.max(1, Math.floor(truth.length / subjects));
  for (let i = 0; i < truth.length && ids.length < subjects; i += step) ids.push(truth[i]!.split(',')[0]!);
  const store = new LocalObjectStore({ root: copy });
  let index = { indexed: 0, current: 0, seconds: 0, cpuSeconds: 0 };
  if (!values['no-index']) {
    const indexStarted = performance.now();
    const indexCpu = process.cpuUsage();
    const counts = await indexZone(store);
    const indexUsed = process.cpuUsage(indexCpu);
    index = {
      ...counts,
      seconds: (performance.now() - indexStarted) / 1000,
      cpuSeconds: (indexUsed.user + indexUsed.system) / 1e6,
    };
  }
  const indexRss = process.resourceUsage().maxRSS / 1024;
  let indexBytes = 0;
  let lakeBytes = 0;
  for await (const object of store.list(''))
    if (object.key.startsWith(INDEX_PREFIX)) indexBytes += object.size;
    else lakeBytes += object.size;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const outcome = await runPrivacyRequest(
    { trusted: store, zones: [{ name: 'lake', store }] },
    {
      requestId: 'bench',
      action: 'erase',
      subjects: ids.map((id) => parseSubject(id)),
      salt: Buffer.alloc(32, 1),
      now: () => new Date(),
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const rows = outcome.record.stores.reduce(
    (sum, s) => sum + (s.store.startsWith('lake') ? (s.rows ?? 0) : 0),
    0,
  );
  console.log(
    JSON.stringify({
      subjects: ids.length,
      ...outcome.io,
      indexed: index.indexed,
      indexSeconds: index.seconds,
      indexCpuSeconds: index.cpuSeconds,
      indexRssMb: indexRss,
      indexMb: indexBytes / 2 ** 20,
      lakeMb: lakeBytes / 2 ** 20,
      rows,
      seconds,
      cpuSeconds,
      rssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  await rm(copy, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (values.child) return child();
  await mkdir(DIR, { recursive: true });
  const { tree, landing, seconds } = await lake();
  if (seconds > 0)
    console.log(
      `lake: ${users.toLocaleString('en')} customers generated and ingested in ${seconds.toFixed(0)} s`,
    );
  const output = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      SELF,
      '--users',
      String(users),
      '--subjects',
      String(subjects),
      '--parts',
      String(parts),
      ...(values['no-index'] ? ['--no-index'] : []),
      '--child',
      `${tree}|${landing}`,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const m = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, number>;
  if (m['indexed']! > 0)
    console.log(
      `index pass first: ${m['indexed']} objects indexed (${m['indexMb']!.toFixed(1)} MB of indexes for ${m['lakeMb']!.toFixed(0)} MB of lake) in ${m['indexSeconds']!.toFixed(1)} s (CPU ${m['indexCpuSeconds']!.toFixed(1)} s), peak RSS so far ${m['indexRssMb']!.toFixed(0)} MB`,
    );
  console.log(
    `erase ${m['subjects']} subjects from a ${users.toLocaleString('en')}-customer lake (one request, one pass):`,
  );
  console.log(
    `  objects listed ${m['listed']}, read ${m['read']}, holding a subject ${m['holding']}, rewritten ${m['rewritten']}, deleted ${m['deleted']}`,
  );
  console.log(
    `  skipped unread by their key index ${m['skippedByIndex']}; key indexes read ${m['indexesRead']}, written ${m['indexesWritten']}`,
  );
  console.log(
    `  rows removed ${m['rows']}, time ${m['seconds']!.toFixed(1)} s (CPU ${m['cpuSeconds']!.toFixed(1)} s), peak RSS ${m['rssMb']!.toFixed(0)} MB`,
  );
}

await main();

/**
 * Scores → Segment throughput: our batcher + sender against @segment/analytics-node, then ours
 * through injected faults.
 *
 *   npm run bench:segment -- [--events 1000000] [--scale 1] [--concurrency 8] [--rate 200]
 *                            [--library-flush-at 1000] [--skip-fault]
 *
 * The data (a `customer_id,score` CSV) is generated here, seeded. The local sink (127.0.0.1) runs
 * in this process; each contender runs in a child process so its peak RSS is its own.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildIdentify } from '../lambdas/core/segment/traits';
import { seededRandom } from '../lambdas/local/seeded-random';
import { startSegmentSink, type SegmentSinkStats } from '../lambdas/local/segment-sink';
import type { SinkFaults } from '../lambdas/local/segment-sink-faults';
import { runLibrary, runOurs, type ContenderInput, type ContenderResult } from './segment-contenders';

const WRITE_KEY = 'bench-write-key';
const RUN = 'bench-run';
const SCORED_AT = '2026-05-01T10:00:00.000Z';
const thisFile = fileURLToPath(import.meta.url);

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    scale: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    rate: { type: 'string', default: '200' },
    'library-flush-at': { type: 'string', default: '1000' },
    'skip-fault': { type: 'boolean', default: false },
    child: { type: 'string' },
    input: { type: 'string' },
  },
});

if (args.child) {
  // Child mode: run one contender, print its result as the last line of stdout.
  const input = JSON.parse(args.input!) as ContenderInput;
  const result = args.child === 'ours' ? await runOurs(input) : await runLibrary(input);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const events = Math.round(Number(args.events) * Number(args.scale));
const dir = await mkdtemp(path.join(tmpdir(), 'segment-bench-'));
const file = path.join(dir, 'churn-scores.csv');
await generateScores(file, events);

interface Row {
  readonly name: string;
  readonly result: ContenderResult;
  readonly stats: SegmentSinkStats;
  readonly lost: number;
}

const input = {
  writeKey: WRITE_KEY,
  file,
  run: RUN,
  scoredAt: SCORED_AT,
  concurrency: Number(args.concurrency),
  requestsPerSecond: Number(args.rate),
  libraryFlushAt: Number(args['library-flush-at']),
};
const rows: Row[] = [];
rows.push(await contend('ours', 'ours', {}));
rows.push(await contend('@segment/analytics-node', 'library', {}));
if (!args['skip-fault']) {
  rows.push(
    await contend('ours, faults: 20% 500, 10% 429 (Retry-After: 1), 1% resets', 'ours', {
      serverErrorRate: 0.2,
      rateLimitRate: 0.1,
      retryAfterSeconds: 1,
      resetRate: 0.01,
      seed: 2026,
    }),
  );
}
await rm(dir, { recursive: true, force: true });

const [ours, library] = rows;
console.log(
  `\n### Scores → Segment, ${events.toLocaleString('en-US')} identify events (node ${process.version}, concurrency ${input.concurrency}, rate ceiling ${input.requestsPerSecond}/s, library flushAt ${input.libraryFlushAt})\n`,
);
console.log(
  '| contender | events/s | time (s) | HTTP requests | statuses | peak RSS (MB) | unique delivered | duplicates (de-duped) | lost |',
);
console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|');
for (const { name, result, stats, lost } of rows) {
  const statuses =
    Object.entries(stats.statuses)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ') + (stats.resets ? ` reset×${stats.resets}` : '');
  console.log(
    `| ${name} | ${Math.round(events / (result.elapsedMs / 1000)).toLocaleString('en-US')} | ${(result.elapsedMs / 1000).toFixed(2)} | ${stats.requests.toLocaleString('en-US')} | ${statuses} | ${result.peakRssMb.toFixed(0)} | ${stats.uniqueEvents.toLocaleString('en-US')} | ${stats.duplicateEvents.toLocaleString('en-US')} | ${lost.toLocaleString('en-US')} |`,
  );
}
const ratio = library!.result.elapsedMs / ours!.result.elapsedMs;
console.log(`\nours ÷ library, events/s: **${ratio.toFixed(2)}×** (goal ≥ 2×)`);
const fault = rows[2];
if (fault) {
  const verdict =
    fault.lost === 0 && fault.stats.uniqueEvents === events
      ? 'every messageId delivered, none lost'
      : `${fault.lost} lost`;
  console.log(
    `fault run: ${verdict}; ${fault.result.kept} event(s) kept for replay, ${fault.result.replayRounds} replay round(s)`,
  );
}

/** Runs one contender in a child process against a fresh sink; checks which messageIds arrived. */
async function contend(name: string, contender: 'ours' | 'library', faults: SinkFaults): Promise<Row> {
  const sink = await startSegmentSink({ writeKey: WRITE_KEY, faults });
  try {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        thisFile,
        '--child',
        contender,
        '--input',
        JSON.stringify({ ...input, endpoint: sink.url }),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`${name} exited with ${code}`);
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as ContenderResult;
    const seen = sink.messageIds();
    let lost = 0;
    const scores = scoresOf(events);
    for (let index = 0; index < events; index += 1) {
      const sent = buildIdentify({
        customerId: customerId(index),
        score: Number(scores[index]),
        model: 'churn',
        run: RUN,
        scoredAt: SCORED_AT,
      });
      if (!seen.has(sent.messageId)) lost += 1;
    }
    console.error(
      `${name}: ${(result.elapsedMs / 1000).toFixed(2)} s, ${sink.stats().requests} requests, ${lost} lost`,
    );
    return { name, result, stats: sink.stats(), lost };
  } finally {
    await sink.close();
  }
}

function customerId(index: number): string {
  return `cust-${String(index).padStart(9, '0')}`;
}

/** The seeded score of each customer, as written to the file. */
function scoresOf(count: number): string[] {
  const random = seededRandom(42);
  return Array.from({ length: count }, () => random().toFixed(6));
}

/** `customer_id,score` for `count` customers, scores seeded so every run sends the same bytes. */
async function generateScores(target: string, count: number): Promise<void> {
  const scores = scoresOf(count);
  const out = createWriteStream(target);
  out.write('customer_id,score\n');
  for (let start = 0; start < count; start += 10_000) {
    let chunk = '';
    for (let index = start; index < Math.min(count, start + 10_000); index += 1)
      chunk += `${customerId(index)},${scores[index]}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

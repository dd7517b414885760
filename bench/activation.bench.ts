/**
 * Activation benchmark: batch segment output → Pinpoint import files.
 *
 *   npm run bench:activation                  # full scale: 5M-user query, 50 × 100k, 10M-endpoint export
 *   npm run bench:activation -- --scale 0.1   # a quick run
 *   options: --runs 3 (best of N per contender), --only one-query|50-queries|endpoints
 *
 * Every contender runs in its own child process (peak RSS = `process.resourceUsage().maxRSS` of that
 * process) on the same generated files (cached in bench/out/activation/), interleaved run by run so
 * the load of a shared machine hits all of them alike. Reported: best time of the runs, users/s,
 * the highest peak RSS of the runs, and throughput ratios against, in the same run:
 *  - the copy floor: a readline → write copy of the same bytes;
 *  - the naive version: whole file read, JSON.parse, a Map per query.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { type VariantInput, variants } from './activation-variants';
import { writeEndpointExport } from './generate-endpoint-export';
import { writeSegmentOutput } from './generate-segment-output';

const DIR = 'bench/out/activation';
const SELF = fileURLToPath(import.meta.url);

interface Measure {
  readonly seconds: number;
  readonly users: number;
  readonly rssMb: number;
  readonly notes?: string;
}

interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly input: VariantInput;
  /** Contender name → variant (and options). */
  readonly contenders: readonly {
    label: string;
    variant: string;
    holdout?: number;
    runs?: number;
    heapMb?: number;
  }[];
  readonly rssGoalMb: number;
  readonly throughputGoal?: number;
}

async function child(variant: string, input: VariantInput): Promise<void> {
  const run = variants[variant];
  if (!run) throw new Error(`unknown variant ${variant}`);
  const started = performance.now();
  const result = await run(input);
  const seconds = (performance.now() - started) / 1000;
  const measure: Measure = {
    seconds,
    users: result.users,
    rssMb: process.resourceUsage().maxRSS / 1024,
    notes: result.notes,
  };
  process.stdout.write(`${JSON.stringify(measure)}\n`);
}

function runChild(variant: string, input: VariantInput, heapMb?: number): Measure | { failed: string } {
  rmSync(input.out, { recursive: true, force: true });
  const args = [
    '--import',
    'tsx',
    ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    SELF,
    '--child',
    variant,
    '--input',
    input.input,
    '--out',
    input.out,
  ];
  if (input.endpoints) args.push('--endpoints', input.endpoints);
  if (input.holdout) args.push('--holdout', String(input.holdout));
  try {
    const stdout = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 24,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Measure;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    return {
      failed:
        stderr
          .split('\n')
          .find((l) => /Error|heap/i.test(l))
          ?.slice(0, 120) ?? 'failed',
    };
  } finally {
    rmSync(input.out, { recursive: true, force: true });
  }
}

async function ensure(path: string, make: () => Promise<unknown>): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return;
  process.stderr.write(`generating ${path} …\n`);
  await make();
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(scale: number, runs: number, only: string | undefined): Promise<void> {
  const oneUsers = Math.round(5_000_000 * scale);
  const manyUsers = Math.round(100_000 * scale);
  const endpoints = Math.round(10_000_000 * scale);
  const population = Math.max(oneUsers, Math.round(10_000_000 * scale));
  const one = `${DIR}/one-query-${oneUsers}.out`;
  const many = `${DIR}/50-queries-${manyUsers}-of-${population}.out`;
  const exported = `${DIR}/endpoints-${endpoints}.jsonl.gz`;
  await ensure(one, () => writeSegmentOutput(one, { queries: 1, usersPerQuery: oneUsers, population }));
  await ensure(many, () => writeSegmentOutput(many, { queries: 50, usersPerQuery: manyUsers, population }));
  if (!only || only === 'endpoints') await ensure(exported, () => writeEndpointExport(exported, endpoints));

  const userIdContenders = [
    { label: 'copy floor (readline → write)', variant: 'copy' },
    { label: 'ours, user-ID mode', variant: 'ours' },
    { label: 'ours, user-ID mode, 10 % hold-out', variant: 'ours', holdout: 10 },
    { label: 'ours, parsing + hashing only, no output', variant: 'scan-only' },
    { label: 'naive (read all, JSON.parse, Map)', variant: 'naive' },
    { label: 'stream-json, tokenizing only', variant: 'stream-json' },
  ];
  const scenarios: Scenario[] = [
    {
      name: 'one-query',
      title: `1 query × ${fmt(oneUsers)} users`,
      input: { input: one, out: `${DIR}/run` },
      contenders: userIdContenders,
      rssGoalMb: 300,
      throughputGoal: 0.5,
    },
    {
      name: '50-queries',
      title: `50 queries × ${fmt(manyUsers)} users`,
      input: { input: many, out: `${DIR}/run` },
      contenders: userIdContenders,
      rssGoalMb: 300,
      throughputGoal: 0.5,
    },
    {
      name: 'endpoints',
      title: `endpoint mode: ${fmt(endpoints)}-endpoint export + 50 × ${fmt(manyUsers)} users`,
      input: { input: many, endpoints: exported, out: `${DIR}/run` },
      contenders: [
        { label: 'copy floor (gunzip → readline → write, both files)', variant: 'copy-endpoints' },
        { label: 'ours, endpoint-ID mode', variant: 'ours-endpoints' },
        {
          label: 'naive (JSON.parse each endpoint, Map)',
          variant: 'naive-endpoints',
          runs: 1,
          heapMb: 12_288,
        },
      ],
      rssGoalMb: 3072,
    },
  ].filter((s) => !only || s.name === only);

  console.log(`# Activation benchmark — scale ${scale}, best of ${runs} run(s)\n`);
  console.log(
    `Node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  );
  console.log(
    `Files: ${one} (${fmt(statSync(one).size / 2 ** 20, 1)} MB), ${many} (${fmt(statSync(many).size / 2 ** 20, 1)} MB)` +
      (existsSync(exported)
        ? `, ${exported} (${fmt(statSync(exported).size / 2 ** 20, 1)} MB gzipped)`
        : '') +
      '.\n',
  );

  const verdicts: string[] = [];
  for (const scenario of scenarios) {
    const best = new Map<string, Measure | { failed: string }>();
    for (let round = 0; round < runs; round++) {
      for (const c of scenario.contenders) {
        if (round >= (c.runs ?? runs)) continue;
        process.stderr.write(`${scenario.name}: ${c.label}, run ${round + 1} … `);
        const m = runChild(c.variant, { ...scenario.input, holdout: c.holdout }, c.heapMb);
        process.stderr.write(
          'failed' in m ? `failed: ${m.failed}\n` : `${m.seconds.toFixed(2)} s, ${m.rssMb.toFixed(0)} MB\n`,
        );
        const previous = best.get(c.label);
        if (!previous || 'failed' in previous) best.set(c.label, m);
        else if (!('failed' in m))
          best.set(c.label, {
            ...(m.seconds < previous.seconds ? m : previous),
            rssMb: Math.max(m.rssMb, previous.rssMb),
          });
      }
    }
    const copy = best.get(scenario.contenders[0]!.label);
    const naive = [...best.entries()].find(([label]) => label.startsWith('naive'))?.[1];
    const users = Math.max(...[...best.values()].map((m) => ('failed' in m ? 0 : m.users)));
    console.log(`## ${scenario.title}\n`);
    console.log('| contender | time (s) | users/s | peak RSS (MB) | × copy floor | × naive | notes |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const c of scenario.contenders) {
      const m = best.get(c.label)!;
      if ('failed' in m) {
        console.log(`| ${c.label} | failed | | | | | ${m.failed} |`);
        continue;
      }
      const vsCopy = copy && !('failed' in copy) ? fmt(copy.seconds / m.seconds, 2) : '';
      const vsNaive = naive && !('failed' in naive) ? fmt(naive.seconds / m.seconds, 2) : '';
      console.log(
        `| ${c.label} | ${fmt(m.seconds, 2)} | ${fmt(users / m.seconds)} | ${fmt(m.rssMb)} | ${vsCopy} | ${vsNaive} | ${m.notes ?? ''} |`,
      );
      if (c.variant.startsWith('ours')) {
        const ratio = copy && !('failed' in copy) ? copy.seconds / m.seconds : NaN;
        if (scenario.throughputGoal)
          verdicts.push(
            `${ratio >= scenario.throughputGoal ? '✅' : '❌'} ${scenario.title}, ${c.label}: ${fmt(ratio, 2)}× the copy floor (goal ≥ ${scenario.throughputGoal})`,
          );
        verdicts.push(
          `${m.rssMb < scenario.rssGoalMb ? '✅' : '❌'} ${scenario.title}, ${c.label}: peak RSS ${fmt(m.rssMb)} MB (goal < ${fmt(scenario.rssGoalMb)} MB)`,
        );
      }
    }
    console.log('');
  }
  console.log('## Goals\n');
  for (const verdict of verdicts) console.log(`- ${verdict}`);
}

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    child: { type: 'string' },
    input: { type: 'string' },
    endpoints: { type: 'string' },
    out: { type: 'string' },
    holdout: { type: 'string' },
  },
});
if (values.child) {
  await child(values.child, {
    input: values.input!,
    endpoints: values.endpoints,
    out: values.out!,
    holdout: values.holdout ? Number(values.holdout) : undefined,
  });
} else {
  await main(Number(values.scale), Number(values.runs), values.only);
}

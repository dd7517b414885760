/**
 * Connect destination benchmark: two successive runs of a 1M-member audience, 5 % churn between
 * them, applied to the Customer Profiles fake (test/offline double) with throttling injected.
 *
 *   npm run bench:connect                      # 1M members, 5 % churn, 5 % of calls throttled
 *   npm run bench:connect -- --members 100000  # a quick run
 *   options: --churn 0.05 --throttle 0.05 --strategy object-type|search-update|both
 *
 * Each strategy runs in its own child process (peak RSS = that process's maxRSS, which includes the
 * fake's in-memory domain of members × (1 + churn) profiles). Reported per run: the changes, the
 * profile calls the fake accepted (must equal changes × calls per change, no more), the calls it
 * refused as throttled (each retried), the time, and whether the fake's final membership equals the
 * second audience exactly. The client-side rate limit is lifted: at the documented 100 TPS the
 * time is the calls / 100 s, whatever the code does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomerProfilesMembership } from '../lambdas/adapters/customer-profiles-membership';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store';
import { activateAudiences, audienceTarget } from '../lambdas/core/membership';
import { FakeCustomerProfiles } from '../lambdas/local/fake-customer-profiles';

const SELF = fileURLToPath(import.meta.url);
const DIR = 'bench/out/connect';
const DOMAIN = 'cdp-bench';
const KEY = 'genres-action';

interface RunMeasure {
  readonly changes: number;
  readonly entered: number;
  readonly left: number;
  readonly calls: number;
  readonly throttled: number;
  readonly failed: number;
  readonly seconds: number;
}
interface Measure {
  readonly strategy: string;
  readonly runs: RunMeasure[];
  readonly exact: boolean;
  readonly members: number;
  readonly rssMb: number;
}

/** `user-<i>` for i in [from, to) except those in `skip`. */
async function writeAudience(folder: string, ids: () => Iterable<string>): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const file = createWriteStream(`${folder}/${KEY}--run.csv`);
  const chunk: string[] = ['User.UserId'];
  for (const id of ids()) {
    chunk.push(id);
    if (chunk.length >= 10_000) {
      if (!file.write(`${chunk.join('\n')}\n`)) await once(file, 'drain');
      chunk.length = 0;
    }
  }
  file.end(chunk.length ? `${chunk.join('\n')}\n` : '');
  await once(file, 'finish');
  const manifest = {
    jobName: 'bench',
    keyMode: 'userId',
    holdoutPercent: 0,
    audiences: [{ name: `${KEY}--run`, audienceKey: KEY, files: { import: `${KEY}--run.csv` } }],
  };
  writeFileSync(`${folder}/manifest.json`, JSON.stringify(manifest));
}

/** Leaves every 20th member (5 %) out of run 2, and adds as many new ones. */
const churned = (churn: number) => {
  const every = Math.round(1 / churn);
  return (i: number) => i % every === 7;
};

async function child(
  strategy: 'object-type' | 'search-update',
  members: number,
  churn: number,
  throttle: number,
) {
  const left = churned(churn);
  const added = Math.round(members * churn);
  const fake = new FakeCustomerProfiles({
    domainName: DOMAIN,
    throttleProbability: throttle,
    rateScale: Infinity,
    seed: 7,
  });
  for (let i = 0; i < members + added; i++) fake.addProfile('_account', `user-${i}`);
  const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
  const root = `${DIR}/${strategy}`;
  rmSync(root, { recursive: true, force: true });
  await writeAudience(`${root}/run1`, function* () {
    for (let i = 0; i < members; i++) yield `user-${i}`;
  });
  await writeAudience(`${root}/run2`, function* () {
    for (let i = 0; i < members; i++) if (!left(i)) yield `user-${i}`;
    for (let i = members; i < members + added; i++) yield `user-${i}`;
  });
  const state = new LocalObjectStore({ root: `${root}/state` });
  const failed: unknown[] = [];
  const runs: RunMeasure[] = [];
  for (const run of ['run1', 'run2']) {
    const callsBefore = sumCalls(fake.calls);
    const throttledBefore = sumCalls(fake.throttled);
    const started = performance.now();
    const [outcome] = await activateAudiences(
      (await import(`../${root}/${run}/manifest.json`, { with: { type: 'json' } })).default,
      new LocalObjectStore({ root: `${root}/${run}` }),
      state,
      membership,
      { keep: async (f) => void failed.push(f) },
      {
        apply: {
          ratePerSecond: 1e9,
          concurrency: 64,
          maxAttempts: 20,
          baseDelayMs: 1,
          maxDelayMs: 16,
          sleep: (ms) => sleep(ms),
          now: () => performance.now(),
          random: Math.random,
        },
        estimate: { maxPolls: 5, pollIntervalMs: 0, tolerance: 0, sleep: async () => undefined },
      },
    );
    runs.push({
      changes: outcome!.diff.entering + outcome!.diff.leaving,
      entered: outcome!.diff.entering,
      left: outcome!.diff.leaving,
      calls: sumCalls(fake.calls) - callsBefore,
      throttled: sumCalls(fake.throttled) - throttledBefore,
      failed: outcome!.writes.failed,
      seconds: (performance.now() - started) / 1000,
    });
  }
  // Nothing lost: the segment's members are exactly the second audience.
  const expected = new Set<string>();
  for (let i = 0; i < members; i++) if (!left(i)) expected.add(`user-${i}`);
  for (let i = members; i < members + added; i++) expected.add(`user-${i}`);
  let exact = failed.length === 0;
  let count = 0;
  for (const id of fake.membersOf(audienceTarget(KEY).attribute)) {
    count++;
    if (!expected.has(id)) exact = false;
  }
  exact &&= count === expected.size;
  rmSync(root, { recursive: true, force: true });
  const measure: Measure = {
    strategy,
    runs,
    exact,
    members: count,
    rssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(measure)}\n`);
}

/** Profile calls only: the per-audience setup calls (object type, segment, estimate) are not per member. */
function sumCalls(calls: ReadonlyMap<string, number>): number {
  return ['PutProfileObject', 'SearchProfiles', 'UpdateProfile', 'CreateProfile'].reduce(
    (sum, api) => sum + (calls.get(api) ?? 0),
    0,
  );
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function main(members: number, churn: number, throttle: number, strategies: string[]): void {
  console.log(
    `Connect destination: ${fmt(members)} members, ${churn * 100} % churn, ${throttle * 100} % of profile calls throttled (fake)\n`,
  );
  console.log(
    '| strategy | run | changes | calls accepted | calls / change | throttled (retried) | failed | time | changes/s | final = run 2 | peak RSS |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const strategy of strategies) {
    const stdout = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        SELF,
        '--child',
        strategy,
        '--members',
        String(members),
        '--churn',
        String(churn),
        '--throttle',
        String(throttle),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
    );
    const m = JSON.parse(stdout.trim().split('\n').pop()!) as Measure;
    m.runs.forEach((r, i) =>
      console.log(
        `| ${strategy} | ${i + 1} | ${fmt(r.changes)} (${fmt(r.entered)} in, ${fmt(r.left)} out) | ${fmt(r.calls)} | ${fmt(r.calls / Math.max(1, r.changes), 2)} | ${fmt(r.throttled)} | ${r.failed} | ${fmt(r.seconds, 1)} s | ${fmt(r.changes / r.seconds)} | ${i === 1 ? (m.exact ? `yes (${fmt(m.members)})` : 'NO') : ''} | ${i === 1 ? `${fmt(m.rssMb)} MB` : ''} |`,
      ),
    );
    if (!m.exact) process.exitCode = 1;
  }
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    members: { type: 'string', default: '1000000' },
    churn: { type: 'string', default: '0.05' },
    throttle: { type: 'string', default: '0.05' },
    strategy: { type: 'string', default: 'both' },
  },
});
const members = Number(values.members);
const churn = Number(values.churn);
const throttle = Number(values.throttle);
if (values.child) {
  await child(values.child as 'object-type' | 'search-update', members, churn, throttle);
} else {
  main(
    members,
    churn,
    throttle,
    values.strategy === 'both' ? ['object-type', 'search-update'] : [values.strategy!],
  );
}

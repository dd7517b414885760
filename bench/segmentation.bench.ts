/**
 * The local segmentation model against baselines and an oracle, on a temporal hold-out.
 *
 *   npm run bench:segmentation -- [--users 50000] [--interactions 5000000] [--items 10000]
 *                                 [--seed 7] [--n 2500] [--model '{"halfLifeDays": 60}'] [--keep]
 *
 * The world (bench/segmentation/world.ts) draws each user's interactions from a Poisson process
 * whose rate and genre taste drift over the year. The model sees the interactions before the cutoff
 * (as Personalize CSVs, through the same reader as `cdp segment`) and ranks users per query; a user
 * is a positive of a query when they interact with a matching item after the cutoff. recall@N =
 * positives among the top N / all positives. Contenders:
 * - the model, run in a child process (its own fit time and peak RSS);
 * - the baselines: most active users, past count of matching interactions, past share of them;
 * - the oracle: users ranked by their true probability of a matching interaction after the cutoff,
 *   from the generator's own rates and tastes (the best any ranking can expect to do).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CATEGORIES,
  GENRES,
  generateWorld,
  itemIdOf,
  userIdOf,
  type World,
  writeTrainingCsv,
} from './segmentation/world';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '50000' },
    interactions: { type: 'string', default: '5000000' },
    items: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '7' },
    n: { type: 'string', default: '2500' },
    model: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

interface BenchQuery {
  readonly input: { itemAttributes: string } | { itemId: string };
  readonly matches: (item: number) => boolean;
}

const genre = (name: (typeof GENRES)[number]) => {
  const bit = 1 << GENRES.indexOf(name);
  return (world: World) => (i: number) => (world.itemGenres[i]! & bit) !== 0;
};
const category = (name: (typeof CATEGORIES)[number]) => {
  const index = CATEGORIES.indexOf(name);
  return (world: World) => (i: number) => world.itemCategory[i] === index;
};

function queriesOf(world: World): BenchQuery[] {
  const attribute = (itemAttributes: string, matches: (i: number) => boolean): BenchQuery => ({
    input: { itemAttributes },
    matches,
  });
  const byPopularity = Array.from(world.itemPopularity.keys()).sort(
    (a, b) => world.itemPopularity[b]! - world.itemPopularity[a]!,
  );
  const item = (rank: number): BenchQuery => {
    const i = byPopularity[rank]!;
    return { input: { itemId: itemIdOf(i) }, matches: (other) => other === i };
  };
  const g = (name: (typeof GENRES)[number]) => genre(name)(world);
  const c = (name: (typeof CATEGORIES)[number]) => category(name)(world);
  return [
    attribute('ITEMS.GENRES = "Drama"', g('Drama')),
    attribute('ITEMS.GENRES = "Action"', g('Action')),
    attribute('ITEMS.GENRES = "Sci-Fi"', g('Sci-Fi')),
    attribute('ITEMS.GENRES = "Documentary"', g('Documentary')),
    attribute('ITEMS.GENRES = "Western"', g('Western')),
    attribute('ITEMS.CATEGORY = "Books"', c('Books')),
    attribute(
      'ITEMS.GENRES = "Action" AND ITEMS.GENRES = "Thriller"',
      (i) => g('Action')(i) && g('Thriller')(i),
    ),
    attribute('ITEMS.GENRES = "Comedy" AND ITEMS.CATEGORY = "Games"', (i) => g('Comedy')(i) && c('Games')(i)),
    attribute('ITEMS.GENRES IN ("Horror", "Mystery")', (i) => g('Horror')(i) || g('Mystery')(i)),
    attribute(
      'ITEMS.GENRES = "Fantasy" OR ITEMS.GENRES = "Animation"',
      (i) => g('Fantasy')(i) || g('Animation')(i),
    ),
    item(0),
    item(30),
    item(300),
  ];
}

/** Expected matching interactions after the cutoff, from the generator's truth (Simpson: exact for quadratics). */
function oracleScores(world: World, mask: Uint8Array): Float64Array {
  const G = GENRES.length;
  const share = new Float64Array(G); // P(a drawn item matches | genre g)
  for (let g = 0; g < G; g++) {
    const members = world.genreItems[g]!;
    for (let k = 0; k < members.length; k++)
      if (mask[members[k]!]) share[g]! += world.genreItemWeights[g]![k]!;
  }
  const users = world.rateStart.length;
  const scores = new Float64Array(users);
  const from = world.cutoff;
  const points = [from, (from + 1) / 2, 1];
  for (let u = 0; u < users; u++) {
    const [a, b] = [world.rateStart[u]!, world.rateEnd[u]!];
    const values = points.map((x) => {
      let match = 0;
      for (let g = 0; g < G; g++)
        match += ((1 - x) * world.tasteStart[u * G + g]! + x * world.tasteEnd[u * G + g]!) * share[g]!;
      return (a + (b - a) * x) * match;
    });
    scores[u] = ((1 - from) / 6) * (values[0]! + 4 * values[1]! + values[2]!);
  }
  return scores;
}

const CONTENDERS = ['model', 'mostActive', 'pastCount', 'pastShare', 'oracle'] as const;
type Contender = (typeof CONTENDERS)[number];

/** Every user, best first. */
function rank(score: (u: number) => number, tieBreak: (u: number) => number, users: number): Int32Array {
  const order = Int32Array.from({ length: users }, (_, u) => u);
  order.sort((a, b) => score(b) - score(a) || tieBreak(b) - tieBreak(a) || a - b);
  return order;
}

function recall(top: ArrayLike<number>, positives: Uint8Array, positiveCount: number): number {
  let hits = 0;
  for (let k = 0; k < top.length; k++) if (positives[top[k]!]) hits++;
  return positiveCount === 0 ? 0 : hits / positiveCount;
}

async function runModel(folder: string, queriesFile: string, outFile: string, n: number) {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      path.join(path.dirname(fileURLToPath(import.meta.url)), 'segmentation', 'fit-child.ts'),
      folder,
      queriesFile,
      outFile,
      String(n),
      ...(args.model ? [args.model] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`the model's process exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1)!) as {
    readSeconds: number;
    fitSeconds: number;
    scoreSeconds: number;
    interactions: number;
    peakRssMb: number;
  };
}

const options = {
  seed: Number(args.seed),
  users: Number(args.users),
  interactions: Number(args.interactions),
  items: Number(args.items),
  holdoutShare: 60 / 365,
};
const n = Number(args.n);
let started = performance.now();
const world = generateWorld(options);
const queries = queriesOf(world);
const folder = await mkdtemp(path.join(tmpdir(), 'bench-segmentation-'));
const trainingRows = await writeTrainingCsv(world, folder);
console.error(
  `world: ${options.users.toLocaleString('en-US')} users, ${world.count.toLocaleString('en-US')} interactions ` +
    `(${trainingRows.toLocaleString('en-US')} before the cutoff), ${options.items.toLocaleString('en-US')} items, ` +
    `generated and written in ${((performance.now() - started) / 1000).toFixed(1)} s to ${folder}`,
);
try {
  const users = options.users;
  const queriesFile = path.join(folder, 'queries.json');
  await writeFile(queriesFile, queries.map((q) => JSON.stringify(q.input)).join('\n') + '\n');
  started = performance.now();
  // The model returns enough users for both cutoffs: N, and N = the query's positives (R-precision).
  const model = await runModel(folder, queriesFile, path.join(folder, 'queries.json.out'), users);
  const modelWall = (performance.now() - started) / 1000;
  const userIndex = new Map(Array.from({ length: options.users }, (_, u) => [userIdOf(u), u]));
  const modelTops = (await readFile(path.join(folder, 'queries.json.out'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) =>
      (JSON.parse(line) as { output: { usersList: string[] } }).output.usersList.map((id) =>
        userIndex.get(id)!,
      ),
    );

  const total = new Float64Array(users);
  for (let e = 0; e < world.count; e++) if (world.time[e]! < world.cutoff) total[world.user[e]!]!++;
  const measured = queries.map((query, q) => {
    const mask = Uint8Array.from({ length: options.items }, (_, i) => (query.matches(i) ? 1 : 0));
    const past = new Float64Array(users);
    const positives = new Uint8Array(users);
    for (let e = 0; e < world.count; e++) {
      if (!mask[world.item[e]!]) continue;
      if (world.time[e]! < world.cutoff) past[world.user[e]!]!++;
      else positives[world.user[e]!] = 1;
    }
    const positiveCount = positives.reduce((sum, p) => sum + p, 0);
    const oracle = oracleScores(world, mask);
    const rankings: Record<Contender, ArrayLike<number>> = {
      model: modelTops[q]!,
      mostActive: rank(
        (u) => total[u]!,
        () => 0,
        users,
      ),
      pastCount: rank(
        (u) => past[u]!,
        (u) => total[u]!,
        users,
      ),
      pastShare: rank(
        (u) => (total[u]! > 0 ? past[u]! / total[u]! : 0),
        (u) => past[u]!,
        users,
      ),
      oracle: rank(
        (u) => oracle[u]!,
        () => 0,
        users,
      ),
    };
    const query_ =
      'itemAttributes' in query.input ? query.input.itemAttributes : `itemId ${query.input.itemId}`;
    return { query: query_, positives, positiveCount, rankings };
  });

  const report = (title: string, cutoffOf: (positiveCount: number) => number): number[] => {
    const rows = measured.map(({ query, positives, positiveCount, rankings }) => {
      const cutoff = cutoffOf(positiveCount);
      const recalls = Object.fromEntries(
        CONTENDERS.map((c) => [
          c,
          recall(Array.from(rankings[c]).slice(0, cutoff), positives, positiveCount),
        ]),
      ) as Record<Contender, number>;
      return { query, positiveCount, ...recalls };
    });
    const mean = (key: Contender) => rows.reduce((sum, row) => sum + row[key], 0) / rows.length;
    const f = (x: number) => x.toFixed(4);
    const header = [
      'query',
      'positives',
      'model',
      'most active',
      'past count',
      'past share',
      'oracle',
      'model/oracle',
    ];
    const table = rows.map((row) => [
      row.query,
      row.positiveCount.toLocaleString('en-US'),
      ...CONTENDERS.map((c) => f(row[c])),
      f(row.model / row.oracle),
    ]);
    table.push(['mean', '', ...CONTENDERS.map((c) => f(mean(c))), f(mean('model') / mean('oracle'))]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    console.log(`\n${title}`);
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of table) console.log(line(row));
    const worst = Math.min(...rows.map((row) => row.model / row.oracle));
    const beaten = (['mostActive', 'pastCount', 'pastShare'] as const).filter(
      (key) => mean('model') <= mean(key),
    );
    console.log(
      `goals: mean above every baseline: ${beaten.length === 0 ? 'met' : `NOT met (${beaten.join(', ')})`}; ` +
        `mean ≥ 0.97 of the oracle: ${mean('model') / mean('oracle') >= 0.97 ? 'met' : 'NOT met'} (${f(mean('model') / mean('oracle'))}); ` +
        `no query below 0.96 of it: ${worst >= 0.96 ? 'met' : 'NOT met'} (worst ${f(worst)})`,
    );
    return rows.map((row) => row.model);
  };
  const seed = `seed ${options.seed}, hold-out: the last 60 days`;
  report(`recall@${n} (${seed})`, () => n);
  report(`recall@positives: N = the query's number of positives, i.e. R-precision (${seed})`, (p) => p);
  console.log(
    `\nmodel: read ${model.readSeconds.toFixed(1)} s (${model.interactions.toLocaleString('en-US')} interactions), ` +
      `fit ${model.fitSeconds.toFixed(1)} s (goal < 120 s: ${model.fitSeconds < 120 ? 'met' : 'NOT met'}), ` +
      `score ${model.scoreSeconds.toFixed(1)} s, whole process ${modelWall.toFixed(1)} s, peak RSS ${model.peakRssMb.toFixed(0)} MB`,
  );
} finally {
  if (args.keep) console.error(`kept ${folder}`);
  else await rm(folder, { recursive: true, force: true });
}

/**
 * Generates Amazon Personalize batch segment output (`<input>.out`, JSON lines) for benchmarks.
 *
 *   npx tsx bench/generate-segment-output.ts --queries 50 --users 100000 --out bench/out/50x100k.out
 *
 * User IDs are distinct within a query and overlap across queries, as real audiences do. Each line is
 * written in pieces, so a 5-million-user line never exists as one string here either.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** What to generate. */
export interface SegmentOutputSpec {
  /** Number of queries (lines). */
  readonly queries: number;
  /** Users per query. */
  readonly usersPerQuery: number;
  /** Which of the two output shapes Personalize writes. Default: `usersList`. */
  readonly shape?: 'usersList' | 'recommendedUsers';
  /** How many distinct users exist; IDs are drawn from `u000000000` … Default: 10,000,000. */
  readonly population?: number;
}

const GENRES = ['Action', 'Comedy', 'Drama', 'Horror', 'Romance', 'Thriller', 'Documentary', 'Animation'];

/** The user ID of a user number: fixed width, like most customer keys. */
export function userIdOf(n: number): string {
  return `u${String(n).padStart(9, '0')}`;
}

/** A multiplier coprime with the population, so `i → i·k + offset (mod population)` is a permutation. */
function multiplierFor(population: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let k = 2654435761 % population || 1;
  while (gcd(k, population) !== 1) k++;
  return k;
}

/** The `index`-th user of query `query`: distinct within a query (index < population), shuffled across. */
function userNumber(query: number, index: number, population: number, k: number): number {
  // k < population ≤ 2^26 keeps index·k below 2^53.
  return (index * k + query * 7919) % population;
}

/** Yields the file in chunks of at most ~1 MB. */
export async function* segmentOutputChunks(spec: SegmentOutputSpec): AsyncGenerator<string> {
  const population = spec.population ?? 10_000_000;
  if (spec.usersPerQuery > population) throw new Error('usersPerQuery cannot exceed population');
  if (population > 2 ** 26) throw new Error('population above 2^26 is not supported');
  const k = multiplierFor(population);
  const key = spec.shape === 'recommendedUsers' ? 'recommendedUsers' : 'usersList';
  for (let q = 0; q < spec.queries; q++) {
    const genre = GENRES[q % GENRES.length];
    const query =
      q < GENRES.length
        ? `ITEMS.genres = "${genre}"`
        : `ITEMS.genres = "${genre}" AND ITEMS.year > ${1950 + q}`;
    const head =
      spec.shape === 'recommendedUsers'
        ? `{"itemAttributes":${JSON.stringify(query)},"output":{"${key}":[`
        : `{"input":{"itemAttributes":${JSON.stringify(query)}},"output":{"${key}":[`;
    let buffer = head;
    for (let i = 0; i < spec.usersPerQuery; i++) {
      const n = userNumber(q, i, population, k);
      buffer += (i === 0 ? '"' : ',"') + userIdOf(n) + '"';
      if (buffer.length > 1_000_000) {
        yield buffer;
        buffer = '';
      }
    }
    yield buffer + (spec.shape === 'recommendedUsers' ? ']}}\n' : ']},"error":null}\n');
  }
}

/** Writes the file and resolves with its size in bytes. */
export async function writeSegmentOutput(path: string, spec: SegmentOutputSpec): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  for await (const chunk of segmentOutputChunks(spec)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return out.bytesWritten;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string', default: '1' },
      users: { type: 'string', default: '1000' },
      shape: { type: 'string', default: 'usersList' },
      out: { type: 'string', default: 'bench/out/segment.out' },
    },
  });
  const bytes = await writeSegmentOutput(values.out, {
    queries: Number(values.queries),
    usersPerQuery: Number(values.users),
    shape: values.shape === 'recommendedUsers' ? 'recommendedUsers' : 'usersList',
  });
  console.log(`${values.out}: ${bytes} bytes`);
}

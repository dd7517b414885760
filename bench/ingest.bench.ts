/**
 * Ingestion benchmark: rows/s of the whole ingestion of a store-sales stream (strict UTF-8,
 * csv-parse, every cell normalised by its zod type — names, emails, E.164 phones, amounts,
 * timestamps —, duplicate check, Parquet encoding, quarantine report) against csv-parse alone on
 * the same bytes.
 *
 *   npm run bench:ingest                 # a 5 GB stream, generated on the fly
 *   npm run bench:ingest -- --gb 0.5     # a quicker run
 *   npm run bench:ingest -- --parallel   # the three children at once (compare CPU times then)
 *
 * The stream is generated in the process that reads it (no disk), identically for both
 * contenders, with 0.2 % malformed rows and 0.1 % exact duplicates. Each contender runs in its own
 * child process; peak RSS is that process's maxRSS. On a shared machine the CPU-time ratio is the
 * steadier one: wall time also counts the time other processes held the cores. Output objects are consumed and dropped, so
 * the numbers measure the pipeline, not a disk.
 * A third child drains the stream alone: its cost is in both contenders' times, and the ratio
 * without it is that of the two pipelines on bytes that arrive for free.
 */
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse } from 'csv-parse';
import type { ObjectInfo, ObjectStore } from '../lambdas/core/ports/object-store';
import { ingestFile } from '../lambdas/core/ingest/ingest-file';

const SELF = fileURLToPath(import.meta.url);
const execFileAsync = promisify(execFile);
const HEADER = 'receipt_id,store_id,name,email,phone,postcode,amount,sold_at\n';
const FIRST = ['Masha', 'John', 'Zoe', 'Eleanor', 'Jacob', 'Aiko', 'Renée', 'Omar', 'Lucía', 'Kwame'];
const LAST = [
  'Kelley',
  'Mendoza',
  'Butler',
  'Castillo',
  "O'Brien",
  'Nguyen',
  'Schmidt',
  'Okafor',
  'Perry',
  'Young',
];
const PHONE_FORMATS = [
  (d: string) => `+1${d}`,
  (d: string) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`,
  (d: string) => `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`,
];

/** A deterministic store-sales stream of about `bytes` bytes, in 1 MB chunks. */
export function salesStream(bytes: number): Readable {
  let produced = 0;
  let row = 0;
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  return new Readable({
    read() {
      if (produced >= bytes) {
        this.push(null);
        return;
      }
      const lines: string[] = produced === 0 ? [HEADER] : [];
      let size = 0;
      while (size < 1 << 20) {
        row++;
        const r = next();
        const first = FIRST[r % FIRST.length]!;
        const last = LAST[(r >>> 8) % LAST.length]!;
        const digits = `${212 + (r % 700)}555${String(100 + (r % 100)).padStart(4, '0')}`;
        const sold = 1735689600 + (r % 31_536_000);
        let line = `R${row},S${(r >>> 4) % 24},${first} ${last},${first}.${last}${r % 997}@Example.com,${PHONE_FORMATS[r % 3]!(digits)},${10001 + (r % 89000)},${((r % 20000) / 100).toFixed(2)},${new Date(sold * 1000).toISOString().slice(0, 19)}Z\n`;
        if (r % 500 === 7) line = `R${row},S1,Bad Row,not-an-email,12,1,x,yesterday\n`;
        if (r % 1000 === 3) line = line + line;
        lines.push(line);
        size += line.length;
      }
      const chunk = lines.join('');
      produced += Buffer.byteLength(chunk);
      this.push(chunk);
    },
  });
}

/** Accepts any put and drops the bytes after counting them. */
class NullStore implements ObjectStore {
  bytes = 0;
  constructor(private readonly source?: () => Readable) {}
  async get(): Promise<Readable> {
    return this.source!();
  }
  async put(
    _key: string,
    body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
  ): Promise<void> {
    if (typeof body === 'string' || body instanceof Uint8Array) this.bytes += body.length;
    else for await (const chunk of body) this.bytes += chunk.length;
  }
  async *list(): AsyncIterable<ObjectInfo> {}
  async head(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
}

interface Measure {
  readonly rows: number;
  readonly seconds: number;
  /** User + system CPU seconds of the process: what a busy shared machine disturbs least. */
  readonly cpuSeconds: number;
  readonly rssMb: number;
  readonly note: string;
}

async function child(contender: string, bytes: number): Promise<void> {
  const started = performance.now();
  let rows = 0;
  let note = '';
  if (contender === 'generator') {
    // The stream alone, drained: what producing the bytes costs each contender.
    for await (const chunk of salesStream(bytes)) void chunk;
  } else if (contender === 'csv-parse') {
    for await (const record of salesStream(bytes).pipe(parse({ bom: true, relax_column_count: true }))) {
      if ((record as string[]).length > 0) rows++;
    }
    rows -= 1;
  } else {
    const trusted = new NullStore();
    const outcome = await ingestFile(
      { landing: new NullStore(() => salesStream(bytes)), trusted, quarantine: new NullStore() },
      { key: 'store/sales.csv', etag: 'bench', ingestDate: '2026-12-02' },
    );
    if (outcome.status === 'already-ingested') throw new Error('unexpected');
    rows = outcome.rowsIn;
    note = `${outcome.status}: good ${outcome.good}, bad ${outcome.bad}, duplicates ${outcome.duplicates}, Parquet ${(trusted.bytes / 1e6).toFixed(0)} MB`;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const measure: Measure = { rows, seconds, cpuSeconds, rssMb: process.resourceUsage().maxRSS / 1024, note };
  process.stdout.write(`${JSON.stringify(measure)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      gb: { type: 'string', default: '5' },
      parallel: { type: 'boolean', default: false },
    },
  });
  const bytes = Math.round(Number(values.gb) * 1e9);
  if (values.child) return child(values.child, bytes);
  const results: Record<string, Measure> = {};
  const contenders = ['generator', 'csv-parse', 'ingest'];
  const run = async (contender: string): Promise<void> => {
    console.error(`${contender}: ${values.gb} GB …`);
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', SELF, '--child', contender, '--gb', values.gb!],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    results[contender] = JSON.parse(stdout.trim().split('\n').at(-1)!) as Measure;
  };
  // --parallel runs the three children at once: the whole takes the longest one's time, and the
  // CPU-time ratio still compares like with like, but the wall times then share the cores.
  if (values.parallel) await Promise.all(contenders.map(run));
  else for (const contender of contenders) await run(contender);
  if (values.parallel) console.log('(the three contenders ran at the same time: read the CPU-time ratios)\n');
  console.log(
    `| contender | rows | seconds | CPU seconds | rows/s | MB/s | peak RSS |\n|---|---|---|---|---|---|---|`,
  );
  for (const name of contenders) {
    const m = results[name]!;
    console.log(
      `| ${name} | ${m.rows.toLocaleString('en-US')} | ${m.seconds.toFixed(1)} | ${m.cpuSeconds.toFixed(1)} | ${Math.round(m.rows / m.seconds).toLocaleString('en-US')} | ${(bytes / 1e6 / m.seconds).toFixed(1)} | ${m.rssMb.toFixed(0)} MB |`,
    );
  }
  const ratio = results['csv-parse']!.seconds / results['ingest']!.seconds;
  const cpuRatio = results['csv-parse']!.cpuSeconds / results['ingest']!.cpuSeconds;
  // Both contenders read the same generated stream; without the generator's own cost (measured
  // alone), the ratio is that of the pipelines on bytes that arrive for free, as from S3.
  const gen = results['generator']!;
  const netRatio = (results['csv-parse']!.seconds - gen.seconds) / (results['ingest']!.seconds - gen.seconds);
  const netCpuRatio =
    (results['csv-parse']!.cpuSeconds - gen.cpuSeconds) / (results['ingest']!.cpuSeconds - gen.cpuSeconds);
  console.log(
    `\ningest runs at ${ratio.toFixed(2)}× csv-parse alone by wall time, ${cpuRatio.toFixed(2)}× by CPU time (goal ≥ 0.5×). ${results['ingest']!.note}`,
  );
  console.log(
    `Without the generator's cost on both sides: ${netRatio.toFixed(2)}× by wall time, ${netCpuRatio.toFixed(2)}× by CPU time.`,
  );
}

if (process.argv[1] === SELF) await main();

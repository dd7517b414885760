import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../data/generator/write-world';
import { identityQuality, readIdentityTruth } from '../../bench/identity-quality';
import { UserFacingError } from '../../lambdas/core/errors';
import { ingestFolder, type IngestOptions } from '../../lambdas/local/commands/ingest';

let root: string;
let world: string;
const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
};
const options = (out: string): IngestOptions => ({
  out,
  maxBadShare: 0.05,
  phoneRegion: 'US',
  ingestDate: '2026-12-02',
});

async function parquet(file: string): Promise<Record<string, unknown>[]> {
  const bytes = await readFile(file);
  return (await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  })) as Record<string, unknown>[];
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-ingest-'));
  world = path.join(root, 'world');
  await generateSampleData({ seed: 11, users: 300, interactions: 4_000, outDir: world });
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cdp ingest', () => {
  it('writes the trusted zone and an identity map that matches the planted identities', async () => {
    const out = path.join(root, 'out-first');

    const run = await ingestFolder(world, options(out), quiet());

    expect(run.status).not.toBe(1);
    expect(run.outcomes.map((o) => o.dataset)).toEqual([
      'crm/customers',
      'store/sales',
      'web/events',
      'web/orders',
      'personalize/interactions',
      'personalize/items',
      'personalize/users',
      'pinpoint/endpoints',
    ]);
    expect(run.ignored).toContain('ground-truth/identities.csv');
    const map = await parquet(path.join(out, 'trusted/identity/identity_map/identity_map.parquet'));
    const predicted = new Map(
      map.map((r) => [`${String(r['source'])}:${String(r['source_id'])}`, String(r['customer_id'])]),
    );
    const truth = readIdentityTruth(world);
    const quality = identityQuality(truth, predicted);
    expect(quality.precision).toBeGreaterThanOrEqual(0.995);
    expect(quality.byVariation['case']!.linked).toBe(quality.byVariation['case']!.records);
    expect(quality.byVariation['phone-format']!.linked).toBe(quality.byVariation['phone-format']!.records);
  });

  it('finds every file already ingested on a second run and keeps every profile ID', async () => {
    const out = path.join(root, 'out-twice');
    const first = await ingestFolder(world, options(out), quiet());
    const mapBefore = await parquet(path.join(out, 'trusted/identity/identity_map/identity_map.parquet'));

    const second = await ingestFolder(world, options(out), quiet());

    expect(second.outcomes.every((o) => o.status === 'already-ingested')).toBe(true);
    expect(second.status).toBe(0);
    expect(second.identity!.keptIds).toBe(first.identity!.profiles);
    expect(await parquet(path.join(out, 'trusted/identity/identity_map/identity_map.parquet'))).toEqual(
      mapBefore,
    );
  });

  it('ingests the files on worker threads into the same trusted zone, quarantine and outcomes as one thread', async () => {
    const one = path.join(root, 'out-one-thread');
    const two = path.join(root, 'out-two-threads');
    // Two files (each worker thread loads the TypeScript afresh, which takes seconds).
    const datasets = new Set(['crm/customers', 'web/orders']);
    const sequential = await ingestFolder(world, { ...options(one), identity: false, datasets }, quiet());
    const io = quiet();

    const parallel = await ingestFolder(
      world,
      { ...options(two), identity: false, datasets, workers: 2 },
      io,
    );

    expect(parallel.outcomes).toEqual(sequential.outcomes);
    expect(io.lines.filter((line) => line.startsWith('ingested '))).toHaveLength(parallel.outcomes.length);
    const files = (dir: string) =>
      readdir(dir, { recursive: true }).then((names) =>
        names.filter((f) => /\.(parquet|csv|json)$/.test(f)).sort(),
      );
    const written = await files(two);
    expect(written).toEqual(await files(one));
    expect(written.some((f) => f.startsWith('trusted/web/orders'))).toBe(true);
    expect(written.some((f) => f.startsWith('trusted/_ingested'))).toBe(true);
    for (const file of written)
      expect(await readFile(path.join(two, file)), file).toEqual(await readFile(path.join(one, file)));
  });

  it('exits 1 when a file is rejected, naming its line, and writes nothing of it to the trusted zone', async () => {
    const folder = path.join(root, 'bad');
    await mkdir(path.join(folder, 'web'), { recursive: true });
    await writeFile(
      path.join(folder, 'web/orders.csv'),
      'order_id,customer_id,item_count,amount,ordered_at\nO1,C1,one,2,2025-01-01T00:00:00Z\n',
    );
    const out = path.join(root, 'out-bad');
    const io = quiet();

    const run = await ingestFolder(folder, { ...options(out), identity: false }, io);

    expect(run.status).toBe(1);
    expect(io.lines).toContain('web/orders.csv line 2, item_count: is not a whole number');
    await expect(readFile(path.join(out, 'quarantine/web/orders.csv/report.csv'), 'utf8')).resolves.toContain(
      'item_count',
    );
    await expect(readFile(path.join(out, 'trusted/web/orders'))).rejects.toThrow();
  });

  it('refuses a folder that holds no dataset file, saying where files land', async () => {
    const folder = path.join(root, 'empty');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'notes.txt'), 'hello');

    await expect(ingestFolder(folder, options(path.join(root, 'out-empty')), quiet())).rejects.toThrow(
      UserFacingError,
    );
    await expect(ingestFolder(folder, options(path.join(root, 'out-empty')), quiet())).rejects.toThrow(
      /files land as crm\/customers\.csv/,
    );
  });
});

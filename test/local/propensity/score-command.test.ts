import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../../data/generator/write-world';
import { score } from '../../../lambdas/local/commands/score';

let root: string;
let world: string;
const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
};

async function trustedCrmIds(out: string): Promise<string[]> {
  const dir = path.join(out, 'trusted/crm/customers');
  const ids: string[] = [];
  for (const file of await readdir(dir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.parquet')) continue;
    const bytes = await readFile(path.join(dir, file));
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      columns: ['customer_id'],
    })) as { customer_id: string }[];
    ids.push(...rows.map((r) => r.customer_id));
  }
  return ids.sort();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-score-'));
  world = path.join(root, 'world');
  // No interactions: personalize/interactions.csv would be rejected as empty; scoring does not ingest it.
  await generateSampleData({ seed: 23, users: 400, interactions: 0, outDir: world });
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cdp score', () => {
  it('ingests the folder and scores every CRM customer with both models and a report', async () => {
    const out = path.join(root, 'out');
    const console = quiet();

    const status = await score(world, { out, run: 'test-run' }, console);

    expect(status).toBe(0);
    const crm = await trustedCrmIds(out);
    expect(crm.length).toBeGreaterThan(400);
    for (const model of ['churn', 'repurchase']) {
      const rows = parse(await readFile(path.join(out, 'scores/test-run', `${model}.csv`)), {
        columns: true,
      }) as { customer_id: string; score: string }[];
      expect(rows.map((r) => r.customer_id).sort(), model).toEqual(crm);
      for (const r of rows) expect(Number(r.score)).toBeGreaterThanOrEqual(0);
      for (const r of rows) expect(Number(r.score)).toBeLessThanOrEqual(1);
      expect(new Set(rows.map((r) => r.score)).size, `${model} scores vary`).toBeGreaterThan(10);
    }
    const report = JSON.parse(await readFile(path.join(out, 'scores/test-run/report.json'), 'utf8'));
    expect(report.models.map((m: { model: string }) => m.model)).toEqual(['churn', 'repurchase']);
    for (const m of report.models) {
      expect(m.auc).toBeGreaterThan(0.5);
      expect(m.calibration).toHaveLength(10);
      expect(m.decileLift).toHaveLength(10);
      expect(m.decileLift[0].lift).toBeGreaterThan(1);
      expect(m.featureImportance.length).toBeGreaterThan(0);
    }
    expect(console.lines.some((l) => l.startsWith('churn '))).toBe(true);
    const manifest = JSON.parse(
      await readFile(path.join(out, 'audiences/propensity-test-run/manifest.json'), 'utf8'),
    );
    expect(manifest.audiences).toHaveLength(1);
    expect(manifest.audiences[0].size).toBeGreaterThan(0);
    expect(manifest.audiences[0].holdoutSize).toBeGreaterThan(0);
    // The world holds Personalize and Pinpoint files too: scoring reads none, so none is ingested.
    expect((await readdir(world)).sort()).toEqual(expect.arrayContaining(['personalize', 'pinpoint']));
    expect((await readdir(path.join(out, 'trusted'))).sort()).toEqual(
      expect.not.arrayContaining(['personalize', 'pinpoint']),
    );
  });

  it('stops with exit code 1 and writes nothing when a file is rejected', async () => {
    const out = path.join(root, 'out-bad');
    const console = quiet();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(world, 'web/orders.csv'), 'order_id,customer_id\nO1,C1\n');

    const status = await score(world, { out }, console);

    expect(status).toBe(1);
    await expect(readdir(path.join(out, 'scores'))).rejects.toThrow();
  });
});

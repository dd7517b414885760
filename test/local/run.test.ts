import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../data/generator/write-world';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { runPipeline, type RunOptions, summaryLines } from '../../lambdas/local/run/run-pipeline';

let root: string;
let world: string;
const options = (more: Partial<RunOptions> = {}): RunOptions => ({
  out: path.join(root, 'out'),
  run: 'r1',
  stages: ['ingest', 'preflight', 'segment', 'activate', 'score', 'sync', 'notify', 'report'],
  holdoutPercent: 10,
  maxBadShare: 0.05,
  phoneRegion: 'US',
  progress: false,
  now: () => new Date('2026-12-02T12:00:00Z'),
  ...more,
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-run-'));
  world = path.join(root, 'world');
  await generateSampleData({ seed: 5, users: 400, interactions: 6_000, outDir: world });
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cdp run', () => {
  it('runs every stage and leaves each output where the cloud would, honouring its contract', async () => {
    const summary = await runPipeline(world, options());

    expect(summary.stages.map((s) => [s.stage, s.status])).toEqual([
      ['ingest', 'succeeded'],
      ['preflight', 'succeeded'],
      ['segment', 'succeeded'],
      ['activate', 'succeeded'],
      ['score', 'succeeded'],
      ['sync', 'succeeded'],
      ['notify', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(summary.ok).toBe(true);
    const dir = path.join(root, 'out/r1');
    const files = await filesUnder(dir);
    expect(files).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^trusted\/crm\/customers\/ingest_date=2026-12-02\/customers-\w+\.parquet$/),
        expect.stringMatching(/^trusted\/identity\/.*identity_map.*\.parquet$/),
        'segment-queries/genres/queries.json',
        'segments/genres/queries.json.out',
        'audiences/genres/manifest.json',
        'summary.json',
        'report.html',
      ]),
    );
    // The batch segment output is in Personalize's shape, one line per query of training.json.
    const out = (await readFile(path.join(dir, 'segments/genres/queries.json.out'), 'utf8'))
      .trim()
      .split('\n');
    const training = JSON.parse(await readFile(path.join(world, 'personalize/training.json'), 'utf8'));
    expect(out).toHaveLength(training.batchSegmentJobs[0].queries.length);
    for (const line of out) {
      const parsed = JSON.parse(line);
      expect(parsed.error).toBeNull();
      expect(parsed.output.usersList.length).toBeGreaterThan(0);
      expect(new Set(parsed.output.usersList).size).toBe(parsed.output.usersList.length);
    }
    // Every audience file is a Pinpoint import CSV whose users came from the segment output.
    const manifest = JSON.parse(await readFile(path.join(dir, 'audiences/genres/manifest.json'), 'utf8'));
    expect(manifest.audiences).toHaveLength(out.length);
    const segmentUsers = new Set(out.flatMap((line) => JSON.parse(line).output.usersList as string[]));
    const first = (
      await readFile(path.join(dir, 'audiences/genres', manifest.audiences[0].files.import), 'utf8')
    )
      .trim()
      .split('\n');
    expect(first[0]).toBe('User.UserId');
    expect(first.slice(1).every((user) => segmentUsers.has(user))).toBe(true);
    // The emails the cloud would send, one file each, in the order the events happened.
    const outbox = files.filter((f) => f.startsWith('outbox/'));
    // Identities Resolved, one Audiences Imported per job and for the win-back audience, Segment Sync Succeeded.
    expect(outbox.length).toBe(1 + training.batchSegmentJobs.length + 1 + 1);
    expect(outbox.at(-1)).toMatch(/synced-to-segment/);
    const email = await readFile(
      path.join(
        dir,
        outbox.find((f) => f.includes('genres'))!,
      ),
      'utf8',
    );
    expect(email).toMatch(/^Subject: \d+ audiences ready in S3/m);
    expect(email).not.toContain('s3://');
    expect(summary.events).toContain(EVENTS.identitiesResolved.detailType);
  });

  it('stops at a rejected file with its line and reason, and reports no success', async () => {
    const broken = path.join(root, 'broken');
    await generateSampleData({ seed: 5, users: 200, interactions: 3_000, outDir: broken });
    const orders = path.join(broken, 'web/orders.csv');
    const lines = (await readFile(orders, 'utf8')).split('\n');
    lines.splice(3, 0, '"O-open,C1,1,2,2025-01-01T00:00:00Z');
    await writeFile(orders, lines.join('\n'));

    const summary = await runPipeline(broken, options({ run: 'broken' }));

    expect(summary.ok).toBe(false);
    expect(summary.stages).toEqual([expect.objectContaining({ stage: 'ingest', status: 'failed' })]);
    expect(summary.stages[0]!.error).toBe(
      'web/orders.csv line 4: a quote opens here and never closes, so every line after it would be read as one cell; close the quote or remove it',
    );
    const { out, err } = summaryLines(summary);
    expect(out.at(-1)).toMatch(/FAILED/);
    expect(out.join('\n')).not.toMatch(/every stage succeeded/);
    expect(err).toContain(`error: ingest and identity: ${summary.stages[0]!.error}`);
    await expect(readFile(path.join(root, 'out/broken/segments/genres/queries.json.out'))).rejects.toThrow();
  });

  it('runs only the stages asked for, and says a later stage needs an earlier one', async () => {
    const summary = await runPipeline(world, options({ run: 'subset', stages: ['ingest', 'segment'] }));

    expect(summary.ok).toBe(false);
    expect(summary.stages[1]).toMatchObject({ stage: 'segment', status: 'failed' });
    expect(summary.stages[1]!.error).toMatch(/needs the pre-flight stage/);
  });
});

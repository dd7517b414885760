import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightFolder } from '../../lambdas/local/commands/preflight';

let root: string;
const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-preflight-cli-'));
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cdp preflight', () => {
  it('passes data/sample/personalize with exit status 0', async () => {
    const out = quiet();

    const run = await preflightFolder('data/sample/personalize', {}, out);

    expect(run.status).toBe(0);
    expect(out.lines).toContain('50,000 interactions, 1,988 users (1,930 with 2 or more), 1,000 items');
    expect(out.lines.at(-1)).toBe('training can start');
  });

  it('prints each problem with its file, line and reason, and exits 1', async () => {
    const folder = path.join(root, 'broken');
    await cp('data/sample/personalize', folder, { recursive: true });
    const interactions = (await readFile(path.join(folder, 'interactions.csv'), 'utf8')).split('\n');
    interactions.length = 900;
    interactions[812] = interactions[812]!.replace(/,\d+,/, ',yesterday,');
    await writeFile(path.join(folder, 'interactions.csv'), `${interactions.join('\n')}\n`);
    const out = quiet();

    const run = await preflightFolder(folder, {}, out);

    expect(run.status).toBe(1);
    expect(out.lines).toContain(
      'warning: interactions.csv line 813, TIMESTAMP: is not an ISO 8601 date-time or epoch seconds',
    );
    expect(out.lines).toContain(
      'interactions.csv: holds 898 good interactions; Personalize needs at least 1,000 to train',
    );
    expect(out.lines.at(-1)).toBe('training cannot start: 1 problem(s)');
  });

  it('prints every bad field of training.json with its path, and exits 1', async () => {
    const folder = path.join(root, 'bad-config');
    await cp('data/sample/personalize', folder, { recursive: true });
    const config = JSON.parse(await readFile(path.join(folder, 'training.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(
      path.join(folder, 'training.json'),
      JSON.stringify({ ...config, recipe: 'aws-sims', solution: { performAutoTraining: 'yes' } }),
    );
    const out = quiet();

    const run = await preflightFolder(folder, {}, out);

    expect(run.status).toBe(1);
    expect(out.lines).toEqual([
      'training.json recipe: must be aws-item-attribute-affinity or aws-item-affinity (the USER_SEGMENTATION recipes)',
      'training.json solution.performAutoTraining: must be true or false',
      'training cannot start: 2 problem(s) in training.json',
    ]);
  });
});

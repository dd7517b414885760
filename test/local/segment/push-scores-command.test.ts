import { Command } from 'commander';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../../lambdas/local/commands/push-scores';
import { registerReplay } from '../../../lambdas/local/commands/replay';
import { startSegmentSink, type SegmentSink } from '../../../lambdas/local/segment-sink';

const WRITE_KEY = 'wk_cli_test';
let dir: string;
let sink: SegmentSink | undefined;
let printed: string[];

async function cdp(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerPushScores(program);
  registerReplay(program);
  await program.parseAsync(args, { from: 'user' });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-push-scores-'));
  printed = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line));
  vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
  process.exitCode = undefined;
});

afterEach(async () => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await sink?.close();
  sink = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('cdp push-scores and cdp replay', () => {
  it('pushes files whose model is in their name, and prints the counts', async () => {
    // Prepare
    sink = await startSegmentSink({ writeKey: WRITE_KEY });
    await writeFile(path.join(dir, 'churn-scores.csv'), 'customer_id,score\nc1,0.1\nc2,0.2\n');
    await writeFile(path.join(dir, 'repurchase.csv'), 'customer_id,score\nc1,0.9\n');

    // Act
    await cdp(
      'push-scores',
      path.join(dir, 'churn-scores.csv'),
      path.join(dir, 'repurchase.csv'),
      '--run',
      'r1',
      '--endpoint',
      sink.url,
      '--failed-dir',
      path.join(dir, 'kept'),
    );

    // Assess
    expect(sink.stats().uniqueEvents).toBe(3);
    expect(printed.join('\n')).toMatch(
      /sent\s+3\n\s+retry requests\s+0\n\s+failed\s+0\n\s+kept for replay 0/,
    );
    expect(process.exitCode).toBeUndefined();
  });

  it('exits non-zero, keeps what failed and lists invalid rows; replay then delivers what was kept', async () => {
    // Prepare
    const failedDir = path.join(dir, 'kept');
    await writeFile(path.join(dir, 'scores.csv'), 'customer_id,score\nc1,0.1\nc2,high\n');
    sink = await startSegmentSink({ writeKey: WRITE_KEY, faults: { serverErrorRate: 1 } });
    await cdp(
      'push-scores',
      path.join(dir, 'scores.csv'),
      '--model',
      'churn',
      '--run',
      'r2',
      '--endpoint',
      sink.url,
      '--failed-dir',
      failedDir,
      '--retries',
      '0',
    );
    const exitAfterPush = process.exitCode;
    await sink.close();
    sink = await startSegmentSink({ writeKey: WRITE_KEY });
    process.exitCode = undefined;

    // Act
    await cdp('replay', failedDir, '--endpoint', sink.url);

    // Assess
    expect(exitAfterPush).toBe(1);
    expect(await readFile(path.join(failedDir, 'invalid-rows', 'r2.csv'), 'utf8')).toBe(
      "source,line,reason\nscores.csv,3,score 'high' is not a number between 0 and 1\n",
    );
    expect(sink.stats().uniqueEvents).toBe(1);
    expect(
      (await readdir(path.join(failedDir, 'failed', 'r2'))).filter((name) => name.endsWith('.replayed')),
    ).toHaveLength(1);
    expect(process.exitCode).toBeUndefined();
  });

  it('asks for --model when a file name names no model', async () => {
    // Prepare
    await writeFile(path.join(dir, 'scores.csv'), 'c1,0.1\n');

    // Act
    const pushing = cdp('push-scores', path.join(dir, 'scores.csv'), '--run', 'r3');

    // Assess
    await expect(pushing).rejects.toThrow(
      'cannot tell the model from the file name; pass --model churn or --model repurchase',
    );
  });
});

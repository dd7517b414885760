import { Command } from 'commander';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../lambdas/local/commands/push-scores';
import { registerToPinpoint } from '../../lambdas/local/commands/to-pinpoint';
import { exitCodeOf } from '../../lambdas/local/run-cli';
import { startSegmentSink } from '../../lambdas/local/segment-sink';

/** The README's offline CLI examples, on the sample files the repository ships. */

const SAMPLE = path.join(import.meta.dirname, '..', '..', 'data', 'sample');
let dir: string;

async function cdp(...args: string[]): Promise<number> {
  const program = new Command().exitOverride();
  registerToPinpoint(program);
  registerPushScores(program);
  return exitCodeOf(() => program.parseAsync(args, { from: 'user' }).then(() => undefined));
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-samples-'));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  process.exitCode = undefined;
});

afterEach(async () => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('the shipped sample files', () => {
  it('turn into one audience per genre with to-pinpoint, every line used', async () => {
    // Act
    const code = await cdp(
      'to-pinpoint',
      path.join(SAMPLE, 'segments', 'weekly-genres.json.out'),
      ...['--out', dir, '--job', 'weekly', '--holdout', '10'],
    );

    // Assess
    expect(code).toBe(0);
    expect((await readdir(dir)).filter((name) => name.endsWith('--weekly.csv'))).toHaveLength(11);
  });

  it('push every score of both models to the local sink with push-scores', async () => {
    // Prepare
    const sink = await startSegmentSink({ writeKey: 'local-test-key' });
    vi.stubEnv('SEGMENT_WRITE_KEY', 'local-test-key');

    try {
      // Act
      const code = await cdp(
        'push-scores',
        ...[path.join(SAMPLE, 'scores', 'churn.csv'), path.join(SAMPLE, 'scores', 'repurchase.csv')],
        ...['--run', '2026-11-23', '--endpoint', sink.url, '--failed-dir', dir],
      );

      // Assess
      expect(code).toBe(0);
      expect(sink.stats().uniqueEvents).toBe(4_000);
    } finally {
      await sink.close();
    }
  });
});

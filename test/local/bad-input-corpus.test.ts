import { Command } from 'commander';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../lambdas/local/commands/push-scores';
import { registerToPinpoint } from '../../lambdas/local/commands/to-pinpoint';
import { exitCodeOf } from '../../lambdas/local/run-cli';
import { startSegmentSink, type SegmentSink } from '../../lambdas/local/segment-sink';

/**
 * Every file of the shared bad-input corpus, fed to every command that reads files: each one ends
 * in a non-zero exit or a clean pass. None crashes (exitCodeOf rethrows anything but a
 * UserFacingError), and none exits 0 with a row dropped.
 */

const CORPUS = path.join(import.meta.dirname, '..', 'fixtures', 'bad-input');
const WRITE_KEY = 'wk_corpus';
const files = (await readdir(CORPUS)).sort();
let dir: string;
let sink: SegmentSink;

/** Lines holding something, the way both commands count rows. */
async function nonBlankLines(file: string): Promise<number> {
  return (await readFile(file, 'latin1')).split(/\r?\n/).filter((line) => line.trim() !== '').length;
}

async function run(register: (program: Command) => void, args: string[]): Promise<number> {
  const program = new Command().exitOverride();
  register(program);
  process.exitCode = undefined;
  try {
    return await exitCodeOf(() => program.parseAsync(args, { from: 'user' }).then(() => undefined));
  } finally {
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-corpus-'));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('the bad-input corpus', () => {
  it('holds a dozen files or more, so the tests below check something', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files)('push-scores on %s exits non-zero, or 0 with every row delivered', async (name) => {
    // Prepare
    const file = path.join(CORPUS, name);
    sink = await startSegmentSink({ writeKey: WRITE_KEY });
    const args = ['push-scores', file, '--model', 'churn', '--run', name, '--endpoint', sink.url];

    try {
      // Act
      const code = await run(registerPushScores, [...args, '--failed-dir', path.join(dir, 'kept', name)]);

      // Assess
      expect([0, 1]).toContain(code);
      if (code === 0) expect(sink.stats().uniqueEvents).toBe((await nonBlankLines(file)) - 1);
    } finally {
      await sink.close();
    }
  });

  it.each(files)(
    'to-pinpoint on %s exits non-zero with nothing half-written, or 0 with every line an audience',
    async (name) => {
      // Prepare
      const file = path.join(CORPUS, name);
      const out = path.join(dir, 'audiences', name);

      // Act
      const code = await run(registerToPinpoint, ['to-pinpoint', file, '--out', out, '--job', 'corpus']);

      // Assess
      expect([0, 1, 2]).toContain(code);
      const written = await readdir(out).catch(() => []);
      if (code === 1) expect(written).toEqual([]);
      else {
        const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
        if (code === 0) {
          expect(manifest.issueCount).toBe(0);
          expect(manifest.totals.lines).toBe(await nonBlankLines(file));
        } else expect(manifest.issueCount).toBeGreaterThan(0);
      }
    },
  );
});

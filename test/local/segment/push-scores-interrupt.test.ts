import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../../lambdas/local/commands/push-scores';
import { exitCodeOf } from '../../../lambdas/local/run-cli';
import { startSegmentSink, type SegmentSink } from '../../../lambdas/local/segment-sink';

const WRITE_KEY = 'wk_interrupt';
const REPO = path.join(import.meta.dirname, '..', '..', '..');
const ROWS = 50_000;
let dir: string;
let sink: SegmentSink;

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 60_000) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-interrupt-'));
  const rows = Array.from({ length: ROWS }, (_, index) => `c${index + 1},0.5`);
  await writeFile(path.join(dir, 'churn.csv'), `customer_id,score\n${rows.join('\n')}\n`);
  // Slow answers, so the push is still running when it is interrupted.
  sink = await startSegmentSink({ writeKey: WRITE_KEY, faults: { slowRate: 1, slowMs: 250 } });
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  await sink.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cdp push-scores interrupted and resumed', () => {
  it('stops on Ctrl-C through npx with exit 130 and a cursor, leaves no process sending, and --resume delivers the rest', async () => {
    // Prepare: Ctrl-C in a terminal signals the whole foreground process group
    const [file, kept] = [path.join(dir, 'churn.csv'), path.join(dir, 'kept')];
    const args = ['cdp', 'push-scores', file, '--model', 'churn', '--run', 'r1', '--endpoint', sink.url];
    const child = spawn('npx', [...args, '--failed-dir', kept, '--concurrency', '2'], {
      cwd: REPO,
      env: { ...process.env, SEGMENT_WRITE_KEY: WRITE_KEY },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    await until(() => sink.stats().requests >= 2, 'the first requests');

    // Act
    process.kill(-child.pid!, 'SIGINT');
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // What a shell reports: npm re-raises the signal its child stopped on, which the shell shows as 128 + 2.
    const shellStatus = code ?? (signal === 'SIGINT' ? 130 : -1);
    await until(() => !groupAlive(child.pid!), 'every process of the group to end');
    const sentBeforeResume = sink.stats();
    await delay(300);
    const afterExit = sink.stats().requests;
    const resumeLine = /To continue: (.+)$/m.exec(stderr)?.[1];
    vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const program = new Command().exitOverride();
    registerPushScores(program);
    const resumed = await exitCodeOf(() =>
      program.parseAsync(resumeLine!.split(' ').slice(1), { from: 'user' }).then(() => undefined),
    );

    // Assess
    expect(shellStatus).toBe(130);
    expect(stderr).toMatch(
      /^Interrupted at churn\.csv line [\d,]+: the batches in flight were delivered or kept/m,
    );
    expect(resumeLine).toBe(
      `cdp push-scores ${file} --run r1 --model churn --failed-dir ${kept} --endpoint ${sink.url} --resume`,
    );
    expect(sentBeforeResume.uniqueEvents).toBeGreaterThan(0);
    expect(sentBeforeResume.uniqueEvents).toBeLessThan(ROWS);
    expect(afterExit).toBe(sentBeforeResume.requests);
    expect(resumed).toBe(0);
    expect(sink.stats().uniqueEvents).toBe(ROWS);
    // Every batch in flight at the interruption finished before the cursor was written: nothing is sent twice.
    expect(sink.stats().duplicateEvents).toBe(0);
    await expect(readFile(path.join(dir, 'kept', 'cursors', 'r1.json'))).rejects.toThrow('ENOENT');
  });

  it('refuses to start a run over while it has a cursor, and offers --resume or --restart', async () => {
    // Prepare
    vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cursor = {
      run: 'r2',
      files: [path.join(dir, 'churn.csv')],
      scoredAt: '2026-05-01T10:00:00.000Z',
      cursor: {
        source: 0,
        byte: 30,
        line: 3,
        counts: { sent: 2, retried: 0, failed: 0, keptForReplay: 0 },
        invalidRows: 0,
      },
    };
    await mkdir(path.join(dir, 'kept', 'cursors'), { recursive: true });
    await writeFile(path.join(dir, 'kept', 'cursors', 'r2.json'), JSON.stringify(cursor));
    const program = new Command().exitOverride();
    registerPushScores(program);

    // Act
    const pushing = program.parseAsync(
      [
        'push-scores',
        path.join(dir, 'churn.csv'),
        '--model',
        'churn',
        '--run',
        'r2',
        '--endpoint',
        sink.url,
      ].concat(['--failed-dir', path.join(dir, 'kept')]),
      { from: 'user' },
    );

    // Assess
    await expect(pushing).rejects.toThrow(
      'run r2 was interrupted at churn.csv line 3: add --resume to continue from there, or --restart to push the whole run again',
    );
    expect(sink.stats().requests).toBe(0);
  });

  it('pushes the whole run again with --restart and removes the cursor once it is done', async () => {
    // Prepare
    vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cursor = path.join(dir, 'kept', 'cursors', 'r3.json');
    await mkdir(path.dirname(cursor), { recursive: true });
    await writeFile(cursor, '{"run":"r3","files":["elsewhere.csv"],"scoredAt":"x","cursor":{}}');
    const program = new Command().exitOverride();
    registerPushScores(program);
    const args = ['push-scores', path.join(dir, 'churn.csv'), '--model', 'churn', '--run', 'r3'];

    // Act
    const code = await exitCodeOf(() =>
      program
        .parseAsync([...args, '--endpoint', sink.url, '--failed-dir', path.join(dir, 'kept'), '--restart'], {
          from: 'user',
        })
        .then(() => undefined),
    );

    // Assess
    expect(code).toBe(0);
    expect(sink.stats().uniqueEvents).toBe(ROWS);
    await expect(readFile(cursor)).rejects.toThrow('ENOENT');
  });
});

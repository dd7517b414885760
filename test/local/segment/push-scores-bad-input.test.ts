import { Command } from 'commander';
import { createServer } from 'node:net';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../../lambdas/local/commands/push-scores';
import { exitCodeOf } from '../../../lambdas/local/run-cli';
import { startSegmentSink, type SegmentSink } from '../../../lambdas/local/segment-sink';

/** The cases of issue 13, each pushed by the CLI to the local sink: exit code, line named, what arrived. */

const WRITE_KEY = 'wk_bad_input';
const CORPUS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'bad-input');
let dir: string;
let sink: SegmentSink;
let printed: string[];

/** `cdp push-scores <file> --model churn --run r …` to the sink; resolves to the exit code. */
async function pushScores(file: string, ...more: string[]): Promise<number> {
  const program = new Command().exitOverride();
  registerPushScores(program);
  const args = ['push-scores', file, '--model', 'churn', '--run', 'r'];
  args.push('--endpoint', sink.url, '--failed-dir', path.join(dir, 'kept'), ...more);
  return exitCodeOf(() => program.parseAsync(args, { from: 'user' }).then(() => undefined));
}

async function fixture(name: string): Promise<string> {
  const file = path.join(dir, name);
  await copyFile(path.join(CORPUS, name), file);
  return file;
}

async function invalidRowsReport(): Promise<string> {
  return readFile(path.join(dir, 'kept', 'invalid-rows', 'r.csv'), 'utf8');
}

function userIds(): unknown[] {
  return sink.events().map((event) => event['userId']);
}

/** A `customer_id,score` file of `count` good rows, c1 … cN. */
function goodRows(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `c${index + 1},0.5`);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-bad-input-'));
  sink = await startSegmentSink({ writeKey: WRITE_KEY, keepEvents: true });
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
  await sink.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cdp push-scores on bad input', () => {
  it('refuses a file with an unterminated quote whole, naming the line where the quote opened and every line not pushed', async () => {
    // Prepare: 1,000 good rows, the quote on line 502
    const rows = goodRows(1_000);
    rows.splice(500, 0, '"C-unterminated,0.5');
    const file = path.join(dir, 'churn.csv');
    await writeFile(file, `customer_id,score\n${rows.join('\n')}\n`);

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    const output = printed.join('\n');
    expect(output).toContain(
      'churn.csv line 502: a quoted field opens on this line and runs over the next 500 line(s)',
    );
    expect(output).toContain('none of its 1,001 data line(s) were pushed');
    expect(sink.stats().requests).toBe(0);
  });

  it('refuses a file whose stray quote closes lines later, from the fixture', async () => {
    // Prepare
    const file = await fixture('churn-stray-quote.csv');

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    expect(printed.join('\n')).toContain('churn-stray-quote.csv line 3: a quoted field opens on this line');
    expect(sink.stats().requests).toBe(0);
  });

  it('reports a row saved as Latin-1 with its line, pushes the others, and never sends a replacement character', async () => {
    // Prepare
    const file = await fixture('churn-latin1.csv');

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    expect(await invalidRowsReport()).toBe(
      'source,line,reason\nchurn-latin1.csv,3,not valid UTF-8 (the file must be saved as UTF-8)\n',
    );
    expect(userIds()).toEqual(['c1', 'c3']);
    expect(JSON.stringify(sink.events())).not.toContain('\ufffd');
  });

  it.each([
    ['churn-empty.csv', 'churn-empty.csv line 1: the file is empty: it holds no rows'],
    ['churn-header-only.csv', 'churn-header-only.csv line 1: the file holds a header but no rows'],
  ])('exits 1 on %s, saying that it holds no rows', async (name, message) => {
    // Prepare
    const file = await fixture(name);

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    expect(printed.join('\n')).toContain(message);
    expect(printed.join('\n')).not.toContain('were pushed');
    expect(sink.stats().requests).toBe(0);
  });

  it.each([
    ['churn-no-header.csv', "(found 'c1,0.1')"],
    ['churn-wrong-header.csv', "(found 'id,score')"],
  ])(
    'refuses %s on line 1, naming the expected columns, and pushes none of its rows',
    async (name, found) => {
      // Prepare
      const file = await fixture(name);

      // Act
      const code = await pushScores(file);

      // Assess
      expect(code).toBe(1);
      expect(printed.join('\n')).toContain(
        `${name} line 1: the first line must be a header naming the columns customer_id and score ${found}`,
      );
      expect(sink.stats().requests).toBe(0);
    },
  );

  it('reports every row whose column count differs from the header, with its line', async () => {
    // Prepare
    const file = await fixture('churn-extra-columns.csv');

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    expect(await invalidRowsReport()).toBe(
      'source,line,reason\n' +
        'churn-extra-columns.csv,3,the header has 2 columns but this row has 3\n' +
        'churn-extra-columns.csv,4,the header has 2 columns but this row has 4\n',
    );
    expect(userIds()).toEqual(['c1', 'c4']);
  });

  it('reports a 5 MB customer ID as an invalid row with the 32 KB limit, and keeps nothing for replay', async () => {
    // Prepare
    const file = path.join(dir, 'churn.csv');
    await writeFile(file, `customer_id,score\nc1,0.1\n${'x'.repeat(5_000_000)},0.5\nc3,0.3\n`);

    // Act
    const code = await pushScores(file);

    // Assess
    expect(code).toBe(1);
    expect(await invalidRowsReport()).toMatch(
      /^source,line,reason\nchurn\.csv,3,"its Segment event would be 5,000,\d{3} bytes, over Segment's limit of 32,000 bytes per event/,
    );
    expect(userIds()).toEqual(['c1', 'c3']);
    expect(await readdir(path.join(dir, 'kept'))).toEqual(['invalid-rows']);
    expect(printed.join('\n')).toMatch(/kept for replay\s+0/);
  });

  it('names a refused connection at once, stops after a bounded number of attempts, and keeps every event for replay', async () => {
    // Prepare: a port nobody listens on
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const file = path.join(dir, 'churn.csv');
    // 12,500 rows: five full batches of 2,500 events, all in flight at once
    await writeFile(file, `customer_id,score\n${goodRows(12_500).join('\n')}\n`);
    const program = new Command().exitOverride();
    registerPushScores(program);

    // Act
    const code = await exitCodeOf(() =>
      program
        .parseAsync(
          [
            'push-scores',
            file,
            '--model',
            'churn',
            '--run',
            'r',
            '--endpoint',
            `http://127.0.0.1:${port}`,
          ].concat(['--failed-dir', path.join(dir, 'kept')]),
          { from: 'user' },
        )
        .then(() => undefined),
    );

    // Assess
    expect(code).toBe(1);
    expect(printed[0]).toBe(`retrying: network error talking to Segment (ECONNREFUSED 127.0.0.1:${port})`);
    const output = printed.join('\n');
    expect(output).toMatch(/Run r: (\d+) requests/);
    expect(Number(/Run r: (\d+) requests/.exec(output)![1])).toBeLessThanOrEqual(5 + 8);
    expect(output).toMatch(/failed\s+12,500\n\s+kept for replay 12,500/);
    expect(output).toContain('Segment unreachable: 5 connection failures in a row');
  });
});

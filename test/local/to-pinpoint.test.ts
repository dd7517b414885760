import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobNameOf, toPinpoint, type ToPinpointOptions } from '../../lambdas/local/commands/to-pinpoint';

const jsonLines = (...records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const action = {
  input: { itemAttributes: 'ITEMS.genres = "Action"' },
  output: { usersList: ['u1', 'u2', 'u1'] },
  error: null,
};
const comedy = {
  itemAttributes: 'ITEMS.genres = "Comedy"',
  output: { recommendedUsers: Array.from({ length: 20 }, (_, i) => `c${i}`) },
};

describe('cdp to-pinpoint', () => {
  let dir: string;
  let out: { log: string[]; error: string[] };
  const io = { log: (line: string) => out.log.push(line), error: (line: string) => out.error.push(line) };
  const options = (more: Partial<ToPinpointOptions> = {}): ToPinpointOptions => ({
    out: path.join(dir, 'audiences'),
    key: 'userId',
    holdout: 0,
    ...more,
  });
  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'to-pinpoint-'));
    out = { log: [], error: [] };
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one import file per query and the manifest, prints a summary, and exits 0', async () => {
    // Prepare
    const file = write('weekly.json.out', jsonLines(action, comedy));

    // Act
    const status = await toPinpoint(file, options({ holdout: 10 }), io);

    // Assess
    expect(status).toBe(0);
    expect(readdirSync(path.join(dir, 'audiences')).sort()).toEqual([
      'genres-action_f454663b--weekly.csv',
      'genres-action_f454663b--weekly.holdout.csv',
      'genres-comedy_49c17b54--weekly.csv',
      'genres-comedy_49c17b54--weekly.holdout.csv',
      'manifest.json',
    ]);
    expect(out.log[0]).toMatch(/^audience\s+users\s+holdout\s+unresolved\s+file$/);
    expect(
      out.log.some((line) =>
        /^genres-comedy_49c17b54--weekly\s+\d+\s+\d+\s+0\s+.*genres-comedy_49c17b54--weekly\.csv$/.test(line),
      ),
    ).toBe(true);
    expect(out.log).toContain(`Manifest: ${path.join(dir, 'audiences', 'manifest.json')}`);
    expect(out.error).toEqual([]);
  });

  it('prints the line number and reason of each bad line, leaves no partial file, and exits 2', async () => {
    // Prepare
    const file = write(
      'job.out',
      jsonLines(action, { input: { itemId: '9' }, error: 'Item 9 not found' }) +
        'garbage\n' +
        '{"input": {"itemId": "1"}, "output": {"usersList": ["u1"',
    );

    // Act
    const status = await toPinpoint(file, options(), io);

    // Assess
    expect(status).toBe(2);
    expect(out.error).toEqual([
      `${file} line 2: Personalize reported an error for this query: Item 9 not found (skipped)`,
      `${file} line 3: not valid JSON: 'garbage' is not a JSON value (skipped)`,
      `${file} line 4: the file ends in the middle of this line (truncated) (skipped)`,
    ]);
    expect(readdirSync(path.join(dir, 'audiences')).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('exits 1 when no line gives an audience', async () => {
    // Prepare
    const file = write('job.out', jsonLines({ input: { itemId: '1' }, output: { usersList: [] } }));

    // Act
    const status = await toPinpoint(file, options(), io);

    // Assess
    expect(status).toBe(1);
    expect(out.error).toContain(
      `No audience was written, and no manifest: ${file} does not look like batch segment output.`,
    );
  });

  it('writes nothing at all, not even a manifest, for an interactions CSV with a byte order mark', async () => {
    // Prepare
    const file = write(
      'interactions.csv',
      '\ufeffUSER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu2,i2,1700000001\n',
    );

    // Act
    const status = await toPinpoint(file, options(), io);

    // Assess
    expect(status).toBe(1);
    expect(out.error.slice(0, 3)).toEqual([
      expect.stringMatching(new RegExp(`^${file} line 1: .*\\(skipped\\)$`)),
      expect.stringMatching(new RegExp(`^${file} line 2: .*\\(skipped\\)$`)),
      expect.stringMatching(new RegExp(`^${file} line 3: .*\\(skipped\\)$`)),
    ]);
    expect(readdirSync(dir)).toEqual(['interactions.csv']);
    expect(out.log.join('\n')).not.toContain('Manifest:');
  });

  it('stops with a message naming the file when the input does not exist', async () => {
    // Act
    const running = toPinpoint(path.join(dir, 'missing.out'), options(), io);

    // Assess
    await expect(running).rejects.toThrow(`${path.join(dir, 'missing.out')}: no such file`);
  });

  it('resolves endpoint IDs from an export folder in endpoint mode and counts the unresolved users', async () => {
    // Prepare
    const file = write('job.out', jsonLines(action));
    mkdirSync(path.join(dir, 'export'));
    writeFileSync(
      path.join(dir, 'export', 'part-0.gz'),
      gzipSync(
        jsonLines(
          { Id: 'e1', ChannelType: 'EMAIL', User: { UserId: 'u1' } },
          { Id: 'e2', ChannelType: 'SMS', User: { UserId: 'u1' } },
        ),
      ),
    );

    // Act
    const status = await toPinpoint(
      file,
      options({ key: 'endpointId', endpoints: [path.join(dir, 'export')], job: 'weekly' }),
      io,
    );

    // Assess
    expect(status).toBe(0);
    const audiences = path.join(dir, 'audiences');
    expect(readFileSync(path.join(audiences, 'genres-action_f454663b--weekly.csv'), 'utf8')).toBe(
      'Id\ne1\ne2\n',
    );
    expect(readFileSync(path.join(audiences, 'genres-action_f454663b--weekly.unresolved.csv'), 'utf8')).toBe(
      'User.UserId\nu2\n',
    );
    expect(out.log[0]).toBe('Endpoint export: 2 endpoints of 1 users (0 without a user ID, left out)');
  });

  it('asks for the export when endpoint mode is chosen without one', async () => {
    // Act
    const running = toPinpoint(write('job.out', jsonLines(action)), options({ key: 'endpointId' }), io);

    // Assess
    await expect(running).rejects.toThrow('--key endpointId needs --endpoints <export files>');
  });

  it('names the job after the file by default', () => {
    // Act / Assess
    expect(jobNameOf('/data/weekly-genres.json.out')).toBe('weekly-genres');
    expect(jobNameOf('batch.out')).toBe('batch');
  });

  it('runs as `cdp to-pinpoint` and exits 2 with the reasons on stderr and no progress bar off a terminal', () => {
    // Prepare
    const file = write('job.out', jsonLines(action) + 'oops\n');

    // Act
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bin/cdp.ts', 'to-pinpoint', file, '--out', path.join(dir, 'cli')],
      { encoding: 'utf8' },
    );

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`${file} line 2: not valid JSON: 'oops' is not a JSON value (skipped)\n`);
    expect(result.stdout).toContain('1 audience(s) from 2 line(s): 2 users targeted');
  });
});

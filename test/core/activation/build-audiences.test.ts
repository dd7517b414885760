import { describe, expect, it } from 'vitest';
import { segmentOutputChunks, userIdOf } from '../../../bench/generate-segment-output';
import { buildAudiences } from '../../../lambdas/core/activation/build-audiences';
import { chunksOf, jsonLines, memorySink, usersListLine } from './fixtures';

const JOB = 'weekly-genres';

async function build(
  input: string | Buffer | AsyncIterable<Uint8Array | string>,
  options: { holdoutPercent?: number; chunkSize?: number } = {},
) {
  const sink = memorySink();
  const source =
    typeof input === 'string' || Buffer.isBuffer(input)
      ? chunksOf(input, options.chunkSize ?? 1 << 16)
      : input;
  const manifest = await buildAudiences(source, sink, {
    jobName: JOB,
    source: 'queries.json.out',
    holdoutPercent: options.holdoutPercent,
  });
  return { sink, manifest };
}

describe('buildAudiences', () => {
  it('writes one User.UserId import file per query, from both output shapes', async () => {
    // Prepare
    const input = jsonLines(usersListLine('ITEMS.genres = "Action"', ['u1', 'u2']), {
      itemAttributes: 'ITEMS.genres = "Comedy"',
      output: { recommendedUsers: ['u3'] },
    });

    // Act
    const { sink, manifest } = await build(input);

    // Assess
    expect(manifest.audiences.map((a) => [a.query, a.size, a.files.import])).toEqual([
      ['ITEMS.genres = "Action"', 2, 'genres-action_f454663b--weekly-genres.csv'],
      ['ITEMS.genres = "Comedy"', 1, 'genres-comedy_49c17b54--weekly-genres.csv'],
    ]);
    expect(sink.text('genres-action_f454663b--weekly-genres.csv')).toBe('User.UserId\nu1\nu2\n');
    expect(sink.text('genres-comedy_49c17b54--weekly-genres.csv')).toBe('User.UserId\nu3\n');
  });

  it('reports error lines, non-JSON lines, queries without users and a truncated last line, and still writes the good ones', async () => {
    // Prepare
    const input =
      jsonLines(
        usersListLine('ITEMS.genres = "Action"', ['u1']),
        { input: { itemId: '404' }, output: null, error: 'Item 404 not found' },
        usersListLine('ITEMS.genres = "Empty"', []),
      ) +
      'this is not JSON\n' +
      '{"input": {"itemAttributes": "ITEMS.genres = \\"Cut\\""}, "output": {"usersList": ["u1", "u2';

    // Act
    const { sink, manifest } = await build(input, { chunkSize: 7 });

    // Assess
    expect(manifest.audiences.map((a) => a.query)).toEqual(['ITEMS.genres = "Action"']);
    expect(manifest.issues).toEqual([
      {
        line: 2,
        reason: 'Personalize reported an error for this query: Item 404 not found',
        query: 'itemId = "404"',
        skipped: true,
      },
      { line: 3, reason: 'the query has no users', query: 'ITEMS.genres = "Empty"', skipped: true },
      { line: 4, reason: "not valid JSON: 'this' is not a JSON value", skipped: true },
      {
        line: 5,
        reason: 'the file ends in the middle of this line (truncated)',
        query: 'ITEMS.genres = "Cut"',
        skipped: true,
      },
    ]);
    expect(manifest.totals).toMatchObject({ lines: 5, audiences: 1, skippedLines: 4 });
    // The truncated query's partial file was discarded, not left looking complete.
    expect([...sink.files.keys()].sort()).toEqual([
      'genres-action_f454663b--weekly-genres.csv',
      'manifest.json',
    ]);
  });

  it('writes only the manifest, listing every line, when no line is usable', async () => {
    // Act
    const { sink, manifest } = await build('{"input": {"itemId": "1"}, "output": {"usersList": []}}\n');

    // Assess
    expect(manifest.audiences).toEqual([]);
    expect(manifest.issueCount).toBe(1);
    expect([...sink.files.keys()]).toEqual(['manifest.json']);
  });

  it('writes an empty input as a manifest with no audience and no issue', async () => {
    // Act
    const { manifest } = await build('');

    // Assess
    expect(manifest.totals).toMatchObject({ lines: 0, audiences: 0, skippedLines: 0 });
  });

  it('drops repeated users of an audience and counts them', async () => {
    // Act
    const { sink, manifest } = await build(
      jsonLines(usersListLine('ITEMS.a = "b"', ['u1', 'u2', 'u1', 'u3', 'u2', 'u1'])),
    );

    // Assess
    expect(sink.rows(manifest.audiences[0]!.files.import)).toEqual([['User.UserId'], ['u1'], ['u2'], ['u3']]);
    expect(manifest.audiences[0]).toMatchObject({ size: 3, duplicateUsers: 3 });
  });

  it('drops repeats in lists too large to check at once, by rewriting the file with first occurrences', async () => {
    // Prepare: 100,000 users, past the 1,024 checked at once; repeats of early users come at the end.
    const users = Array.from({ length: 100_000 }, (_, i) => userIdOf(i));
    users.push(userIdOf(5), userIdOf(99_999), 'late-new', userIdOf(5));

    // Act
    const { sink, manifest } = await build(jsonLines(usersListLine('ITEMS.a = "b"', users)), {
      holdoutPercent: 10,
    });

    // Assess
    const audience = manifest.audiences[0]!;
    const imported = sink
      .rows(audience.files.import)
      .slice(1)
      .map(([id]) => id!);
    const heldOut = sink
      .rows(audience.files.holdout!)
      .slice(1)
      .map(([id]) => id!);
    const all = [...imported, ...heldOut];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(100_001);
    expect(audience).toMatchObject({ duplicateUsers: 3, size: imported.length, holdoutSize: heldOut.length });
    const importedSet = new Set(imported);
    expect(imported).toEqual([...new Set(users)].filter((u) => importedSet.has(u)));
  });

  it('keeps Unicode IDs, escaped or not, byte for byte', async () => {
    // Prepare
    const input =
      '{"input": {"itemId": "1"}, "output": {"usersList": ["José", "Jos\\u00e9", "日本語", "😀", "\\ud83d\\ude00", "Ünïcödé"]}}\n';

    // Act
    const { sink, manifest } = await build(input, { chunkSize: 3 });

    // Assess
    expect(sink.text(manifest.audiences[0]!.files.import)).toBe('User.UserId\nJosé\n日本語\n😀\nÜnïcödé\n');
    expect(manifest.audiences[0]!.duplicateUsers).toBe(2);
  });

  it('leaves out IDs that cannot be written as UTF-8 and says how many', async () => {
    // Prepare: a lone surrogate escape, invalid UTF-8 bytes, and an empty ID.
    const input = Buffer.concat([
      Buffer.from('{"input": {"itemId": "1"}, "output": {"usersList": ["ok", "\\ud800", "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('", ""]}}\n'),
    ]);

    // Act
    const { manifest } = await build(input);

    // Assess
    expect(manifest.audiences[0]).toMatchObject({ size: 1, invalidUserIds: 3 });
    expect(manifest.issues).toEqual([
      {
        line: 1,
        reason: '3 user IDs were not usable (empty, not valid Unicode, or not a string) and were left out',
        query: 'itemId = "1"',
        skipped: false,
      },
    ]);
  });

  it('escapes IDs with commas, quotes and line breaks so csv-parse reads them back unchanged', async () => {
    // Prepare
    const ids = ['plain', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rlf', '"', ',', ' spaced ', '=1+2'];

    // Act
    const { sink, manifest } = await build(jsonLines(usersListLine('ITEMS.a = "b"', ids)), { chunkSize: 4 });

    // Assess
    expect(sink.rows(manifest.audiences[0]!.files.import)).toEqual([
      ['User.UserId'],
      ...ids.map((id) => [id]),
    ]);
  });

  it('streams a query of 1M users and accounts for every one of them', async () => {
    // Prepare: generated on the fly, never held as one string.
    const input = segmentOutputChunks({ queries: 1, usersPerQuery: 1_000_000, population: 2_000_000 });

    // Act
    const { sink, manifest } = await build(input, { holdoutPercent: 5 });

    // Assess
    const audience = manifest.audiences[0]!;
    expect(audience.size + audience.holdoutSize).toBe(1_000_000);
    expect(audience.holdoutSize / 1_000_000).toBeCloseTo(0.05, 2);
    const file = sink.files.get(audience.files.import)!;
    expect(file.subarray(0, 23).toString()).toBe('User.UserId\nu000000000\n');
    expect(file.filter((byte) => byte === 0x0a).length).toBe(audience.size + 1);
  });

  it('skips a line that repeats an earlier query, so its file is not overwritten', async () => {
    // Act
    const { sink, manifest } = await build(
      jsonLines(usersListLine('ITEMS.a = "b"', ['u1']), usersListLine('ITEMS.a = "b"', ['u2'])),
    );

    // Assess
    expect(sink.text(manifest.audiences[0]!.files.import)).toBe('User.UserId\nu1\n');
    expect(manifest.issues).toEqual([
      {
        line: 2,
        reason: 'the same query as line 1; its users were not written twice',
        query: 'ITEMS.a = "b"',
        skipped: true,
      },
    ]);
  });

  it('writes a query whose earlier line failed, when a later line repeats it intact', async () => {
    // Prepare
    const input =
      '{"input": {"itemAttributes": "ITEMS.a = \\"b\\""}, "output": {"usersList": ["u1" "u2"]}}\n' +
      jsonLines(usersListLine('ITEMS.a = "b"', ['u3']));

    // Act
    const { sink, manifest } = await build(input);

    // Assess
    expect(manifest.audiences.map((a) => a.line)).toEqual([2]);
    expect(sink.text(manifest.audiences[0]!.files.import)).toBe('User.UserId\nu3\n');
  });

  it('holds out the same users of a query in every job that builds it, so lift is measured week after week', async () => {
    // Prepare
    const users = Array.from({ length: 5_000 }, (_, i) => `u${i}`);
    const input = jsonLines(usersListLine('ITEMS.genres = "Action"', users));
    const buildAs = async (jobName: string) => {
      const sink = memorySink();
      const manifest = await buildAudiences(chunksOf(input, 1 << 16), sink, {
        jobName,
        source: 'queries.json.out',
        holdoutPercent: 20,
      });
      return sink.rows(manifest.audiences[0]!.files.holdout!).slice(1).flat();
    };

    // Act
    const weekA = await buildAs('weekly-a');
    const weekB = await buildAs('weekly-b');

    // Assess
    expect(weekA.length).toBeGreaterThan(800);
    expect(weekB).toEqual(weekA);
  });

  it('writes the same files for the same input, so a re-delivered event rewrites them', async () => {
    // Prepare
    const input = jsonLines(
      usersListLine('ITEMS.price > 10', ['u1', 'u2', 'u3']),
      usersListLine('ITEMS.price > 20', ['u4']),
    );

    // Act
    const first = await build(input, { holdoutPercent: 34 });
    const second = await build(input, { holdoutPercent: 34, chunkSize: 3 });

    // Assess
    expect([...second.sink.files.entries()]).toEqual([...first.sink.files.entries()]);
  });

  it('records in the manifest every audience, its counts and files, and the totals', async () => {
    // Prepare
    const input = jsonLines(usersListLine('ITEMS.genres = "Action"', ['u1', 'u2', 'u1']), {
      input: { itemId: 'x' },
      error: 'boom',
    });

    // Act
    const { sink, manifest } = await build(input, { holdoutPercent: 50 });

    // Assess
    expect(JSON.parse(sink.text('manifest.json'))).toEqual(manifest);
    expect(manifest).toMatchObject({
      version: 1,
      jobName: JOB,
      source: 'queries.json.out',
      keyMode: 'userId',
      importHeader: 'User.UserId',
      holdoutPercent: 50,
      issueCount: 1,
      manifestKey: 'manifest.json',
      totals: {
        lines: 2,
        audiences: 1,
        skippedLines: 1,
        usersRead: 3,
        duplicateUsers: 1,
        targetedUsers: manifest.audiences[0]!.size,
        holdoutUsers: manifest.audiences[0]!.holdoutSize,
      },
    });
    expect(manifest.audiences[0]).toEqual({
      name: 'genres-action_f454663b--weekly-genres',
      audienceKey: 'genres-action_f454663b',
      query: 'ITEMS.genres = "Action"',
      queryInput: { itemAttributes: 'ITEMS.genres = "Action"' },
      line: 1,
      size: expect.any(Number),
      holdoutSize: expect.any(Number),
      unresolvedUsers: 0,
      duplicateUsers: 1,
      invalidUserIds: 0,
      files: {
        import: 'genres-action_f454663b--weekly-genres.csv',
        holdout: 'genres-action_f454663b--weekly-genres.holdout.csv',
      },
    });
    expect(manifest.audiences[0]!.size + manifest.audiences[0]!.holdoutSize).toBe(2);
  });

  it('refuses endpoint mode without an endpoint index and a hold-out of 100 %', async () => {
    // Act
    const withoutIndex = buildAudiences([], memorySink(), {
      jobName: JOB,
      source: 'x',
      keyMode: 'endpointId',
    });
    const everyone = buildAudiences([], memorySink(), { jobName: JOB, source: 'x', holdoutPercent: 100 });

    // Assess
    await expect(withoutIndex).rejects.toThrow('endpoint ID mode needs the Pinpoint endpoint export');
    await expect(everyone).rejects.toThrow('hold-out percentage 100 must be at least 0 and below 100');
  });
});

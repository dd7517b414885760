import { describe, expect, it } from 'vitest';
import { readScoreRows, skipBytes, type ScoreRecord } from '../../../lambdas/core/segment/score-rows';

async function collect(records: AsyncIterable<ScoreRecord>): Promise<ScoreRecord[]> {
  const all: ScoreRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

/** The bytes in chunks of 7, so chunk boundaries fall inside rows and characters. */
async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    const bytes = Buffer.from(part);
    for (let offset = 0; offset < bytes.length; offset += 7) yield bytes.subarray(offset, offset + 7);
  }
}

describe('readScoreRows', () => {
  it('reads a file with a header, in any column order, with extra columns', async () => {
    // Prepare
    const csv = 'segment,score,customer_id\nA,0.25,c1\nB,0.75,c2\n';

    // Act
    const rows = (await collect(readScoreRows(chunks(csv)))).filter((row) => row.kind === 'score');

    // Assess
    expect(rows).toEqual([
      { kind: 'score', line: 2, customerId: 'c1', score: 0.25, endByte: 36 },
      { kind: 'score', line: 3, customerId: 'c2', score: 0.75, endByte: 46 },
    ]);
  });

  it('reads CRLF line ends and a UTF-8 byte order mark, with byte offsets of the file as it is', async () => {
    // Prepare
    const csv = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('customer_id,score\r\nCafé-1,0.1\r\n'),
    ]);

    // Act
    const rows = await collect(readScoreRows(chunks(csv)));

    // Assess
    expect(rows.filter((row) => row.kind === 'score')).toEqual([
      { kind: 'score', line: 2, customerId: 'Café-1', score: 0.1, endByte: csv.length },
    ]);
  });

  it('reports each bad row with its line number and the reason, and keeps reading', async () => {
    // Prepare
    const csv = [
      'customer_id,score',
      'c1,0.5',
      ',0.5',
      'c3,high',
      'c4,1.5',
      'c5',
      'c"6,0.1',
      'c7,0x1',
      '',
      'c8,0.9',
      'C99999999,0.5,extra',
    ].join('\n');

    // Act
    const records = await collect(readScoreRows(chunks(csv)));

    // Assess
    const invalid = records
      .filter((row) => row.kind === 'invalid')
      .map((row) => row.kind === 'invalid' && `${row.line}: ${row.reason}`);
    expect(invalid).toEqual([
      '3: customer_id is empty',
      "4: score 'high' is not a number between 0 and 1",
      "5: score '1.5' is not a number between 0 and 1",
      '6: the header has 2 columns but this row has 1',
      expect.stringMatching(/^7: not valid CSV \(Invalid Opening Quote/),
      "8: score '0x1' is not a number between 0 and 1",
      '11: the header has 2 columns but this row has 3',
    ]);
    expect(
      records.filter((row) => row.kind === 'score').map((row) => row.kind === 'score' && row.line),
    ).toEqual([2, 10]);
  });

  it('reports a row whose bytes are not UTF-8, and never passes on a replacement character', async () => {
    // Prepare: 'Café-7' saved as Latin-1 (é is the single byte 0xE9)
    const csv = Buffer.concat([
      Buffer.from('customer_id,score\nc1,0.1\n'),
      Buffer.from('Caf\xe9-7,0.5\n', 'latin1'),
      Buffer.from('c3,0.3\n'),
    ]);

    // Act
    const records = await collect(readScoreRows(chunks(csv)));

    // Assess
    expect(records.filter((row) => row.kind === 'invalid')).toEqual([
      { kind: 'invalid', line: 3, reason: 'not valid UTF-8 (the file must be saved as UTF-8)', endByte: 36 },
    ]);
    expect(records.flatMap((row) => (row.kind === 'score' ? [row.customerId] : []))).toEqual(['c1', 'c3']);
  });

  it.each<[string, string, unknown, { empty?: true }?]>([
    [
      'no header',
      'c1,0.5\nc2,0.6\n',
      "the first line must be a header naming the columns customer_id and score (found 'c1,0.5')",
    ],
    [
      'a wrong header',
      'id,score\nc1,0.5\n',
      "the first line must be a header naming the columns customer_id and score (found 'id,score')",
    ],
    [
      'a header naming customer_id twice',
      'customer_id,score,customer_id\nc1,0.5,c1\n',
      expect.stringMatching(/^the first line must be a header/),
    ],
    ['an empty file', '', 'the file is empty: it holds no rows', { empty: true }],
    ['a header and no rows', 'customer_id,score\n\n', 'the file holds a header but no rows', { empty: true }],
  ])(
    'refuses a file with %s on line 1, before reading any row as data',
    async (_, csv, reason, empty = {}) => {
      // Act
      const records = await collect(readScoreRows(chunks(csv)));

      // Assess
      expect(records.filter((row) => row.kind !== 'columns')).toEqual([
        { kind: 'broken', line: 1, reason, ...empty },
      ]);
    },
  );

  it('refuses a file at the line where a quote opens and swallows the lines after it', async () => {
    // Prepare
    const csv = 'customer_id,score\nc1,0.1\n"C-unterminated,0.5\nc3,0.3\nc4,0.4\n';

    // Act
    const records = await collect(readScoreRows(chunks(csv)));

    // Assess
    expect(records.slice(-1)).toEqual([
      {
        kind: 'broken',
        line: 3,
        reason: expect.stringMatching(
          /^a quoted field opens on this line and runs over the next 2 line\(s\)/,
        ),
      },
    ]);
  });

  it('refuses a file where a stray quote closes lines later, after blank lines', async () => {
    // Prepare
    const csv = 'customer_id,score\nc1,0.1\n\n\n"C-5,0.5\nc6,0.3\n"c7",0.4\nc8,0.5\n';

    // Act
    const records = await collect(readScoreRows(chunks(csv)));

    // Assess
    expect(records.filter((row) => row.kind !== 'columns')).toEqual([
      { kind: 'score', line: 2, customerId: 'c1', score: 0.1, endByte: 25 },
      { kind: 'broken', line: 5, reason: expect.stringContaining('runs over the next 2 line(s)') },
    ]);
  });

  it('resumes from a byte offset with the columns and line numbers of the whole file', async () => {
    // Prepare
    const csv = 'score,customer_id\n0.1,c1\n0.2,c2\n0.3,c3\n';
    const all = await collect(readScoreRows(chunks(csv)));
    const second = all.find((row) => row.kind === 'score' && row.customerId === 'c2');
    const columns = all.find((row) => row.kind === 'columns');
    if (second?.kind !== 'score' || columns?.kind !== 'columns') throw new Error('fixture');

    // Act
    const rest = await collect(
      readScoreRows(skipBytes(chunks(csv.slice(0, 10), csv.slice(10)), second.endByte), {
        byte: second.endByte,
        line: second.line,
        columns: columns.columns,
      }),
    );

    // Assess
    expect(rest.filter((row) => row.kind === 'score')).toEqual([
      { kind: 'score', line: 4, customerId: 'c3', score: 0.3, endByte: csv.length },
    ]);
  });

  it('propagates a read error from the source instead of hanging', async () => {
    // Prepare
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('c1,0.1\n');
      throw new Error('connection lost');
    }

    // Act
    const reading = collect(readScoreRows(broken()));

    // Assess
    await expect(reading).rejects.toThrow('connection lost');
  });
});

describe('skipBytes', () => {
  it('drops exactly the first bytes across chunk boundaries', async () => {
    // Act
    const rest: string[] = [];
    for await (const chunk of skipBytes(chunks('abc', 'def', 'ghi'), 4))
      rest.push(Buffer.from(chunk).toString());

    // Assess
    expect(rest.join('')).toBe('efghi');
  });
});

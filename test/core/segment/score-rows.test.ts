import { describe, expect, it } from 'vitest';
import { readScoreRows, skipBytes, type ScoreRecord } from '../../../lambdas/core/segment/score-rows';

async function collect(records: AsyncIterable<ScoreRecord>): Promise<ScoreRecord[]> {
  const all: ScoreRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
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

  it('reads a headerless file as customer_id,score, the way batch transform writes it', async () => {
    // Act
    const rows = await collect(readScoreRows(chunks('c1,0.1\r\nc2,0.2\r\n')));

    // Assess
    expect(
      rows.filter((row) => row.kind === 'score').map((row) => row.kind === 'score' && row.customerId),
    ).toEqual(['c1', 'c2']);
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
      '6: expected the columns customer_id,score but found 1 column(s)',
      expect.stringMatching(/^7: not valid CSV/),
      "8: score '0x1' is not a number between 0 and 1",
    ]);
    expect(
      records.filter((row) => row.kind === 'score').map((row) => row.kind === 'score' && row.line),
    ).toEqual([2, 10]);
  });

  it('refuses a header that names customer_id but no score column', async () => {
    // Act
    const reading = collect(
      readScoreRows(chunks('customer_id,probability\nc1,0.5\n'), undefined, 'churn.csv'),
    );

    // Assess
    await expect(reading).rejects.toThrow('churn.csv line 1: the header has customer_id but no score column');
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

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { segment } from '../../../lambdas/local/commands/segment';
import { toPinpoint } from '../../../lambdas/local/commands/to-pinpoint';
import { plantedWorld } from './planted-world';

const world = plantedWorld(11, 90);

describe('cdp segment', () => {
  let dir: string;
  let out: { log: string[]; error: string[] };
  const io = { log: (line: string) => out.log.push(line), error: (line: string) => out.error.push(line) };
  const folder = () => path.join(dir, 'personalize');
  const write = (name: string, content: string): string => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  const queries = (...lines: unknown[]) =>
    write(
      'queries.json',
      lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n',
    );
  const run = (queriesFile: string, numResults = 10) =>
    segment(folder(), { queries: queriesFile, out: path.join(dir, 'segments'), numResults }, io);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cdp-segment-'));
    out = { log: [], error: [] };
    write('personalize/interactions.csv', world.interactionsCsv);
    write('personalize/items.csv', world.itemsCsv);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <queries>.out in the batch segment output shape that cdp to-pinpoint turns into audiences', async () => {
    // Prepare
    const file = queries({ itemAttributes: 'ITEMS.genres = "Action"' }, { itemId: 'I100' });

    // Act
    const status = await run(file, 10);

    // Assess
    expect(status).toBe(0);
    const outFile = path.join(dir, 'segments', 'queries.json.out');
    const lines = readFileSync(outFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      input: { itemAttributes: 'ITEMS.genres = "Action"' },
      output: { usersList: expect.any(Array) },
      error: null,
    });
    expect(lines[1].input).toEqual({ itemId: 'I100' });
    for (const line of lines) {
      expect(line.output.usersList).toHaveLength(10);
      expect(new Set(line.output.usersList).size).toBe(10);
    }
    expect(
      await toPinpoint(outFile, { out: path.join(dir, 'audiences'), key: 'userId', holdout: 0 }, io),
    ).toBe(0);
    expect(readdirSync(path.join(dir, 'audiences'))).toContain('manifest.json');
  });

  it('warns when a query uses OR or IN, which Personalize batch segment jobs reject, and still answers it', async () => {
    const file = queries({ itemAttributes: 'ITEMS.GENRES IN ("Action", "Drama")' });

    expect(await run(file)).toBe(0);

    expect(out.error).toContain(
      `${file} line 1: Personalize batch segment jobs accept only = and AND; this query runs here but not in the cloud`,
    );
  });

  it.each([
    [
      { itemAttributes: 'ITEMS.COLOUR = "Red"' },
      'line 2: unknown attribute ITEMS.COLOUR; items.csv has GENRES, CATEGORY',
    ],
    [
      { itemAttributes: 'ITEMS.genres = "action"' },
      'line 2: no item matches "ITEMS.genres = \\"action\\"" (values are compared exactly, case included)',
    ],
    [
      { itemAttributes: 'ITEMS.genres = Action' },
      'line 2: itemAttributes "ITEMS.genres = Action": expected a quoted value at character 16 (\'Action\')',
    ],
    [{ itemId: 'nope' }, 'line 2: item "nope" is in neither items.csv nor interactions.csv'],
    ['{"itemAttributes": ', 'line 2: not a JSON object'],
    [{ userId: 'U1' }, 'line 2: expected a string "itemAttributes" or "itemId"'],
  ])(
    'stops on a query it cannot answer (%j) with the file and line, and writes no .out',
    async (bad, message) => {
      const file = queries({ itemId: 'I100' }, bad);

      await expect(run(file)).rejects.toThrow(`${file} ${message}`);

      expect(readdirSync(dir)).not.toContain('segments');
    },
  );

  it('stops on a timestamp that is not epoch seconds, with the file and line', async () => {
    write(
      'personalize/interactions.csv',
      'USER_ID,ITEM_ID,TIMESTAMP\nU1,I100,1735689600\nU2,I100,yesterday\n',
    );
    const file = queries({ itemId: 'I100' });

    await expect(run(file)).rejects.toThrow(
      `${path.join(folder(), 'interactions.csv')} line 3: TIMESTAMP 'yesterday' is not epoch seconds`,
    );
  });

  it('stops on a missing column, naming the columns the header has', async () => {
    write('personalize/interactions.csv', 'user_id,ITEM_ID\nU1,I100\n');
    const file = queries({ itemId: 'I100' });

    await expect(run(file)).rejects.toThrow(
      `${path.join(folder(), 'interactions.csv')} line 1: no TIMESTAMP column (the header has user_id, ITEM_ID)`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  BatchSegmentReader,
  type LineHead,
  type LineSummary,
} from '../../../lambdas/core/activation/batch-segment-reader';
import { decodeJsonString } from '../../../lambdas/core/activation/id-bytes';
import { chunksOf, jsonLines, usersListLine } from './fixtures';

interface ReadLine {
  head?: LineHead;
  users: string[];
  summary?: LineSummary;
}

/** Reads the input and returns, per line, its head, its users (decoded) and its summary. */
function read(input: string, chunkSize = 1 << 20): ReadLine[] {
  const lines: ReadLine[] = [];
  let current: ReadLine = { users: [] };
  const reader = new BatchSegmentReader({
    openLine(head) {
      current.head = head;
      return {
        user: (bytes, start, end, escaped) => {
          current.users.push(
            escaped ? decodeJsonString(bytes, start, end)! : bytes.toString('utf8', start, end),
          );
        },
      };
    },
    closeLine(summary) {
      lines.push({ ...current, summary });
      current = { users: [] };
    },
  });
  for (const chunk of chunksOf(input, chunkSize)) reader.write(chunk);
  reader.end();
  return lines;
}

describe('BatchSegmentReader', () => {
  it('reads the input/output/error shape with its query and users', () => {
    // Act
    const [line] = read(jsonLines(usersListLine('ITEMS.genres = "Action"', ['u1', 'u2'])));

    // Assess
    expect(line!.head).toEqual({
      line: 1,
      query: { itemAttributes: 'ITEMS.genres = "Action"' },
      error: undefined,
    });
    expect(line!.users).toEqual(['u1', 'u2']);
    expect(line!.summary).toMatchObject({
      line: 1,
      error: undefined,
      problem: undefined,
      hasUserList: true,
      users: 2,
      invalidEntries: 0,
    });
  });

  it('reads the flat shape with recommendedUsers', () => {
    // Act
    const [line] = read(
      jsonLines({ itemAttributes: 'ITEMS.price > 10', output: { recommendedUsers: ['u3'] } }),
    );

    // Assess
    expect(line!.head?.query).toEqual({ itemAttributes: 'ITEMS.price > 10' });
    expect(line!.users).toEqual(['u3']);
  });

  it('reads item-affinity queries, with the item ID as a string or a number', () => {
    // Act
    const lines = read(
      jsonLines(
        { input: { itemId: '42' }, output: { usersList: ['u1'] } },
        { input: { itemId: 7 }, output: { usersList: ['u2'] } },
      ),
    );

    // Assess
    expect(lines.map((l) => l.head?.query)).toEqual([{ itemId: '42' }, { itemId: '7' }]);
  });

  it('keeps the users when the output comes before the query on the line', () => {
    // Prepare
    const input =
      '{"output": {"usersList": ["u1", "u\\u00e9"]}, "input": {"itemAttributes": "ITEMS.genres = \\"Drama\\""}, "error": null}\n';

    // Act
    const [line] = read(input, 5);

    // Assess
    expect(line!.head?.query).toEqual({ itemAttributes: 'ITEMS.genres = "Drama"' });
    expect(line!.users).toEqual(['u1', 'ué']);
  });

  it('reports Personalize’s error of a line, whether it comes before or after the output', () => {
    // Act
    const lines = read(
      jsonLines(
        { input: { itemId: '404' }, output: null, error: 'Item 404 is not in the dataset' },
        { error: { code: 'X', message: 'bad' }, input: { itemId: '1' }, output: { usersList: ['u1'] } },
      ),
    );

    // Assess
    expect(lines.map((l) => l.summary?.error)).toEqual([
      'Item 404 is not in the dataset',
      '{"code":"X","message":"bad"}',
    ]);
    expect(lines[1]!.head?.error).toBe('{"code":"X","message":"bad"}');
  });

  it('tells a line without a user list from a line with an empty one', () => {
    // Act
    const lines = read(jsonLines({ input: { itemId: '1' }, output: {} }, usersListLine('ITEMS.a = "b"', [])));

    // Assess
    expect(lines.map((l) => [l.summary?.hasUserList, l.summary?.users])).toEqual([
      [false, 0],
      [true, 0],
    ]);
  });

  it('reports a line without a query and a line that is not an object', () => {
    // Act
    const lines = read(jsonLines({ output: { usersList: ['u1'] } }, ['u1']));

    // Assess
    expect(lines.map((l) => l.summary?.problem)).toEqual([
      'the line has no query (input.itemAttributes or input.itemId)',
      'the line is not a JSON object',
    ]);
    expect(lines.every((l) => l.head === undefined)).toBe(true);
  });

  it('counts entries of the user list that are not IDs, and reads numbers as IDs', () => {
    // Act
    const [line] = read(
      jsonLines({
        input: { itemId: '1' },
        output: { usersList: ['u1', null, 123, { id: 'u2' }, ['u3'], true] },
      }),
    );

    // Assess
    expect(line!.users).toEqual(['u1', '123']);
    expect(line!.summary).toMatchObject({ users: 6, invalidEntries: 4 });
  });

  it('reports a syntax error with the line number and the query read so far', () => {
    // Prepare
    const input =
      jsonLines(usersListLine('ITEMS.a = "ok"', ['u1'])) +
      '{"input": {"itemAttributes": "ITEMS.a = \\"x\\""}, "output": {"usersList": ["u1" "u2"]}}\n';

    // Act
    const lines = read(input);

    // Assess
    expect(lines[1]!.summary).toMatchObject({
      line: 2,
      query: { itemAttributes: 'ITEMS.a = "x"' },
      problem: expect.stringContaining("expected ',' or ']'"),
    });
  });

  it('rejects a line whose query holds an invalid escape', () => {
    // Act
    const [line] = read('{"input": {"itemAttributes": "ITEMS.a = \\q"}, "output": {"usersList": ["u1"]}}\n');

    // Assess
    expect(line!.summary?.problem).toBe('a string has an invalid escape sequence');
  });
});

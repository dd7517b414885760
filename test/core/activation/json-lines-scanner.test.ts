import { describe, expect, it } from 'vitest';
import { hashIdBytes, idHash } from '../../../lambdas/core/activation/id-bytes';
import { type JsonEventHandler, JsonLinesScanner } from '../../../lambdas/core/activation/json-lines-scanner';
import { chunksOf } from './fixtures';

/** Records every event as text, decoding strings as UTF-8 (escapes left as written). */
function recorder(): JsonEventHandler & { events: string[]; hashes: [string, number, number][] } {
  const events: string[] = [];
  const hashes: [string, number, number][] = [];
  return {
    events,
    hashes,
    startObject: () => events.push('{'),
    endObject: () => events.push('}'),
    startArray: () => events.push('['),
    endArray: () => events.push(']'),
    key: (b, s, e, escaped) => events.push(`key:${b.toString('utf8', s, e)}${escaped ? ' (escaped)' : ''}`),
    string: (b, s, e, escaped, hashed) => {
      events.push(`string:${b.toString('utf8', s, e)}${escaped ? ' (escaped)' : ''}`);
      if (hashed) hashes.push([b.toString('utf8', s, e), idHash[0]!, idHash[1]!]);
    },
    literal: (text) => events.push(`literal:${text}`),
    lineEnd: (line) => events.push(`end ${line}`),
    lineError: (line, reason) => events.push(`error ${line}: ${reason}`),
  };
}

function scan(input: string | Buffer, chunkSize = 1 << 20, options = {}): ReturnType<typeof recorder> {
  const handler = recorder();
  const scanner = new JsonLinesScanner(handler, options);
  for (const chunk of chunksOf(input, chunkSize)) scanner.write(chunk);
  scanner.end();
  return handler;
}

describe('JsonLinesScanner', () => {
  it('emits the tokens of each line and ends each line with its number', () => {
    // Prepare
    const input = '{"a": [1, "x", true, null], "b": {"c": -2.5e3}}\n["y"]\n';

    // Act
    const { events } = scan(input);

    // Assess
    expect(events).toEqual([
      '{',
      'key:a',
      '[',
      'literal:1',
      'string:x',
      'literal:true',
      'literal:null',
      ']',
      'key:b',
      '{',
      'key:c',
      'literal:-2.5e3',
      '}',
      '}',
      'end 1',
      '[',
      'string:y',
      ']',
      'end 2',
    ]);
  });

  it('gives the same events whatever the chunk boundaries, down to one byte per chunk', () => {
    // Prepare
    const input =
      '\ufeff{"input": {"itemAttributes": "ITEMS.genres = \\"Action\\""}, "output": {"usersList": ["u1", "ü\\u00e9", "日本", "a\\\\b", 12345]}}\r\n\n{"x": 1}';
    const whole = scan(input).events;

    // Act
    const bySize = [1, 2, 3, 5, 7, 13].map((size) => scan(input, size).events);

    // Assess
    for (const events of bySize) expect(events).toEqual(whole);
    expect(whole).toContain('string:日本');
    expect(whole.at(-1)).toBe('end 3');
  });

  it('reports a line that is not JSON with its number and goes on with the next line', () => {
    // Prepare
    const input = '{"a": 1}\nnot json at all\n{"b": 2}\n';

    // Act
    const { events } = scan(input);

    // Assess
    expect(events).toEqual([
      '{',
      'key:a',
      'literal:1',
      '}',
      'end 1',
      "error 2: not valid JSON: 'not' is not a JSON value",
      '{',
      'key:b',
      'literal:2',
      '}',
      'end 3',
    ]);
  });

  it('reports a last line cut short as truncated', () => {
    // Prepare
    const input = '{"a": ["u1", "u2"]}\n{"a": ["u3", "u4';

    // Act
    const { events } = scan(input, 4);

    // Assess
    expect(events.at(-1)).toBe('error 2: the file ends in the middle of this line (truncated)');
    expect(events).toContain('end 1');
  });

  it('reports a line that ends before its value is complete and keeps the following line', () => {
    // Prepare
    const input = '{"a": ["u1",\n{"b": 1}\n';

    // Act
    const { events } = scan(input);

    // Assess
    expect(events).toContain('error 1: the line ends before its JSON value is complete (column 13)');
    expect(events.slice(-5)).toEqual(['{', 'key:b', 'literal:1', '}', 'end 2']);
  });

  it('reports a raw line feed inside a string as the end of the line', () => {
    // Prepare
    const input = '{"a": "broken\nstring"}\n';

    // Act
    const { events } = scan(input);

    // Assess
    expect(events).toContain('error 1: the line ends inside a string that starts at column 7');
    expect(events).toContain("error 2: not valid JSON: 'string' is not a JSON value");
  });

  it('names the column of unexpected characters and of text after the value', () => {
    // Prepare
    const input = '{"a" 1}\n{"a": 1} x\n{"a": 1,}\n';

    // Act
    const errors = scan(input).events.filter((e) => e.startsWith('error'));

    // Assess
    expect(errors).toEqual([
      "error 1: not valid JSON: expected ':' after a key, found '1' at column 6",
      "error 2: not valid JSON: unexpected 'x' after the end of the JSON value at column 10",
      "error 3: not valid JSON: expected a quoted key, found '}' at column 9",
    ]);
  });

  it('skips blank lines without an event but counts them in line numbers', () => {
    // Act
    const { events } = scan('\n   \n{"a": 1}\n');

    // Assess
    expect(events).toEqual(['{', 'key:a', 'literal:1', '}', 'end 3']);
  });

  it('refuses strings longer than the limit and nesting deeper than the limit', () => {
    // Act
    const long = scan(`{"a": "${'x'.repeat(100)}"}\n`, 16, { maxStringBytes: 50 }).events;
    const deep = scan(`${'['.repeat(10)}${']'.repeat(10)}\n`, 1 << 20, { maxDepth: 5 }).events;

    // Assess
    expect(long).toContain('error 1: a string longer than 50 bytes');
    expect(deep.at(-1)).toBe('error 1: nesting deeper than 5 levels at column 6');
  });

  it('hashes the strings of arrays while scanning exactly as hashIdBytes does', () => {
    // Prepare: raw (unescaped) IDs, a carriage return included, which JSON lines tolerate here.
    const ids = ['u1', 'a,b', 'ü', '日本語', 'x'.repeat(40), 'cr\rid'];
    const input = `{"users": [${ids.map((id) => `"${id}"`).join(',')}], "other": "not hashed"}\n`;

    // Act
    const whole = scan(input, 1 << 20, { hashArrayStrings: true }).hashes;
    const cut = scan(input, 3, { hashArrayStrings: true }).hashes;

    // Assess
    expect(whole.map(([id]) => id)).toEqual(ids);
    for (const [id, h1, h2] of [...whole, ...cut]) {
      const bytes = Buffer.from(id, 'utf8');
      hashIdBytes(bytes, 0, bytes.length);
      expect([id, h1, h2]).toEqual([id, idHash[0], idHash[1]]);
    }
  });
});

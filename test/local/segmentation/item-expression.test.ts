import { describe, expect, it } from 'vitest';
import {
  parseItemExpression,
  usesOnlyPersonalizeSyntax,
} from '../../../lambdas/local/segmentation/item-expression';

describe('itemAttributes expressions', () => {
  it('reads an equality with any case of ITEMS and keeps the column as written', () => {
    expect(parseItemExpression('items.Genres = "Action"')).toEqual({
      kind: 'in',
      column: 'Genres',
      values: ['Action'],
      op: '=',
    });
  });

  it('binds AND tighter than OR and reads IN lists, single quotes and escaped quotes', () => {
    const expression = parseItemExpression(
      `ITEMS.genres = "A" OR ITEMS.genres IN ('B', "C\\"D") and ITEMS.category = "Books"`,
    );
    expect(expression).toEqual({
      kind: 'or',
      left: { kind: 'in', column: 'genres', values: ['A'], op: '=' },
      right: {
        kind: 'and',
        left: { kind: 'in', column: 'genres', values: ['B', 'C"D'], op: 'IN' },
        right: { kind: 'in', column: 'category', values: ['Books'], op: '=' },
      },
    });
  });

  it('says where a malformed expression goes wrong', () => {
    expect(() => parseItemExpression('ITEMS.genres = Action')).toThrow(
      "expected a quoted value at character 16 ('Action')",
    );
    expect(() => parseItemExpression('genres = "Action"')).toThrow('expected ITEMS.<column> at character 1');
    expect(() => parseItemExpression('ITEMS.genres = "Action')).toThrow('unterminated string');
    expect(() => parseItemExpression('ITEMS.genres = "A" ITEMS.genres = "B"')).toThrow(
      'unexpected at character 20',
    );
    expect(() => parseItemExpression('ITEMS.genres > "A"')).toThrow("unexpected '>' at character 14");
    expect(() => parseItemExpression('  ')).toThrow('the expression is empty');
  });

  it('tells apart what Personalize batch segment jobs accept (= joined by AND) from what only the local model answers', () => {
    expect(usesOnlyPersonalizeSyntax(parseItemExpression('ITEMS.g = "A" AND ITEMS.c = "B"'))).toBe(true);
    expect(usesOnlyPersonalizeSyntax(parseItemExpression('ITEMS.g = "A" OR ITEMS.g = "B"'))).toBe(false);
    expect(usesOnlyPersonalizeSyntax(parseItemExpression('ITEMS.g IN ("A", "B")'))).toBe(false);
  });
});

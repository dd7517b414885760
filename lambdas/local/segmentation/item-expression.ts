/**
 * The `itemAttributes` expressions of an Item-Attribute-Affinity batch segment job:
 *
 *   ITEMS.genres = "Action"
 *   ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"
 *   ITEMS.genres IN ("Comedy", "Action") OR ITEMS.category = 'Books'
 *
 * Personalize documents `=` and `AND` for batch segment jobs (its re:Post answers say `OR` is
 * rejected there; `IN` is its filter syntax). The local model also answers `IN`, `OR` and
 * parentheses, and `usesOnlyPersonalizeSyntax` tells the caller when a query would not run in the
 * cloud, so it can warn instead of letting the offline run promise more than Personalize gives.
 */

/** A parsed expression; conditions hold the column name as written. */
export type ItemExpression =
  | {
      readonly kind: 'in';
      readonly column: string;
      readonly values: readonly string[];
      readonly op: '=' | 'IN';
    }
  | { readonly kind: 'and' | 'or'; readonly left: ItemExpression; readonly right: ItemExpression };

/** Why an expression could not be read; the caller adds the file and line. */
export class ExpressionError extends Error {}

type Token =
  | { readonly type: 'word'; readonly text: string; readonly at: number }
  | { readonly type: 'string'; readonly text: string; readonly at: number }
  | { readonly type: 'symbol'; readonly text: string; readonly at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source[at]!;
    if (/\s/.test(char)) {
      at++;
    } else if (char === '"' || char === "'") {
      const start = at++;
      let text = '';
      while (at < source.length && source[at] !== char) {
        // Personalize escapes special characters and quotes with a backslash.
        if (source[at] === '\\' && at + 1 < source.length) at++;
        text += source[at++];
      }
      if (at >= source.length)
        throw new ExpressionError(`unterminated string starting at character ${start + 1}`);
      at++;
      tokens.push({ type: 'string', text, at: start });
    } else if ('=(),'.includes(char)) {
      tokens.push({ type: 'symbol', text: char, at: at++ });
    } else if (/[A-Za-z0-9_.]/.test(char)) {
      const start = at;
      while (at < source.length && /[A-Za-z0-9_.]/.test(source[at]!)) at++;
      tokens.push({ type: 'word', text: source.slice(start, at), at: start });
    } else {
      throw new ExpressionError(`unexpected '${char}' at character ${at + 1}`);
    }
  }
  return tokens;
}

/** Parses an `itemAttributes` expression, or throws an ExpressionError saying what is wrong. */
export function parseItemExpression(source: string): ItemExpression {
  const tokens = tokenize(source);
  let next = 0;
  const peek = (): Token | undefined => tokens[next];
  const where = (token: Token | undefined): string =>
    token ? `at character ${token.at + 1} ('${token.text}')` : 'at the end';
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.type === 'word' && token.text.toUpperCase() === word;
  const expectSymbol = (symbol: string): void => {
    const token = tokens[next++];
    if (token?.type !== 'symbol' || token.text !== symbol)
      throw new ExpressionError(`expected '${symbol}' ${where(token)}`);
  };
  const string = (): string => {
    const token = tokens[next++];
    if (token?.type !== 'string') throw new ExpressionError(`expected a quoted value ${where(token)}`);
    return token.text;
  };

  const condition = (): ItemExpression => {
    const token = tokens[next];
    if (token?.type === 'symbol' && token.text === '(') {
      next++;
      const inner = or();
      expectSymbol(')');
      return inner;
    }
    next++;
    const match = token?.type === 'word' ? /^ITEMS\.([A-Za-z0-9_]+)$/i.exec(token.text) : null;
    if (!match) throw new ExpressionError(`expected ITEMS.<column> ${where(token)}`);
    const column = match[1]!;
    if (isWord(peek(), 'IN')) {
      next++;
      expectSymbol('(');
      const values = [string()];
      while (peek()?.text === ',' && peek()?.type === 'symbol') {
        next++;
        values.push(string());
      }
      expectSymbol(')');
      return { kind: 'in', column, values, op: 'IN' };
    }
    expectSymbol('=');
    return { kind: 'in', column, values: [string()], op: '=' };
  };
  const and = (): ItemExpression => {
    let left = condition();
    while (isWord(peek(), 'AND')) {
      next++;
      left = { kind: 'and', left, right: condition() };
    }
    return left;
  };
  const or = (): ItemExpression => {
    let left = and();
    while (isWord(peek(), 'OR')) {
      next++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (tokens.length === 0) throw new ExpressionError('the expression is empty');
  const expression = or();
  if (next < tokens.length) throw new ExpressionError(`unexpected ${where(tokens[next])}`);
  return expression;
}

/** Whether the expression uses only what Personalize's batch segment jobs accept: `=` joined by `AND`. */
export function usesOnlyPersonalizeSyntax(expression: ItemExpression): boolean {
  if (expression.kind === 'in') return expression.op === '=';
  return (
    expression.kind === 'and' &&
    usesOnlyPersonalizeSyntax(expression.left) &&
    usesOnlyPersonalizeSyntax(expression.right)
  );
}

/** Every column an expression names, as written. */
export function columnsOf(expression: ItemExpression): string[] {
  if (expression.kind === 'in') return [expression.column];
  return [...columnsOf(expression.left), ...columnsOf(expression.right)];
}

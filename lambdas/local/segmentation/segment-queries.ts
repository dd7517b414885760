import { UserFacingError } from '../../core/errors';
import type { IdIndex, ItemCatalog } from './datasets';
import {
  columnsOf,
  ExpressionError,
  type ItemExpression,
  parseItemExpression,
  usesOnlyPersonalizeSyntax,
} from './item-expression';

/**
 * The queries of a batch segment job input file (JSON lines of `{"itemAttributes": "…"}` or
 * `{"itemId": "…"}`), each turned into the set of items it matches. A query that cannot be answered
 * (not JSON, unknown column, a value no item has, an unknown item) stops the job with the file and
 * line: an empty audience would look like an answer.
 */

/** One query, ready to score. */
export interface SegmentQuery {
  readonly line: number;
  /** The input object as read, echoed in the output line. */
  readonly input: Record<string, unknown>;
  /** 1 for every item the query matches, by item index. */
  readonly matching: Uint8Array;
  readonly matchingItems: number;
  /** Set when Personalize's batch segment jobs would reject the query (`OR`, `IN`, parentheses). */
  readonly warning?: string;
}

/** Reads the queries of `text` (the whole input file: at most a few hundred short lines). */
export function parseSegmentQueries(
  text: string,
  source: string,
  catalog: ItemCatalog,
  items: IdIndex,
): SegmentQuery[] {
  const queries: SegmentQuery[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    const location = `${source} line ${line}`;
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch {
      throw new UserFacingError('not a JSON object (expected {"itemAttributes": "…"} or {"itemId": "…"})', {
        location,
      });
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new UserFacingError('not a JSON object (expected {"itemAttributes": "…"} or {"itemId": "…"})', {
        location,
      });
    const { itemAttributes, itemId } = input as Record<string, unknown>;
    if (typeof itemAttributes === 'string') {
      queries.push({
        line,
        input: input as Record<string, unknown>,
        ...attributeQuery(itemAttributes, catalog, items.ids.length, location),
      });
    } else if (typeof itemId === 'string' || typeof itemId === 'number') {
      const item = items.find(String(itemId));
      if (item === undefined)
        throw new UserFacingError(
          `item ${JSON.stringify(String(itemId))} is in neither items.csv nor interactions.csv`,
          {
            location,
          },
        );
      const matching = new Uint8Array(items.ids.length);
      matching[item] = 1;
      queries.push({ line, input: input as Record<string, unknown>, matching, matchingItems: 1 });
    } else {
      throw new UserFacingError('expected a string "itemAttributes" or "itemId"', { location });
    }
  });
  if (queries.length === 0) throw new UserFacingError(`${source}: no query in the file`);
  return queries;
}

function attributeQuery(
  source: string,
  catalog: ItemCatalog,
  items: number,
  location: string,
): Pick<SegmentQuery, 'matching' | 'matchingItems' | 'warning'> {
  let expression: ItemExpression;
  try {
    expression = parseItemExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError)
      throw new UserFacingError(`itemAttributes ${JSON.stringify(source)}: ${error.message}`, { location });
    throw error;
  }
  const columnAt = new Map(catalog.columns.map((name, c) => [name.toUpperCase(), c]));
  for (const column of columnsOf(expression))
    if (!columnAt.has(column.toUpperCase()))
      throw new UserFacingError(
        `unknown attribute ITEMS.${column}; items.csv has ${catalog.columns.join(', ') || 'no attribute column'}`,
        { location },
      );
  const matching = new Uint8Array(items);
  let matchingItems = 0;
  for (let item = 0; item < items; item++) {
    if (matches(expression, item, catalog, columnAt)) {
      matching[item] = 1;
      matchingItems++;
    }
  }
  if (matchingItems === 0)
    throw new UserFacingError(
      `no item matches ${JSON.stringify(source)} (values are compared exactly, case included)`,
      { location },
    );
  const warning = usesOnlyPersonalizeSyntax(expression)
    ? undefined
    : 'Personalize batch segment jobs accept only = and AND; this query runs here but not in the cloud';
  return { matching, matchingItems, warning };
}

function matches(
  expression: ItemExpression,
  item: number,
  catalog: ItemCatalog,
  columnAt: ReadonlyMap<string, number>,
): boolean {
  if (expression.kind === 'and')
    return (
      matches(expression.left, item, catalog, columnAt) && matches(expression.right, item, catalog, columnAt)
    );
  if (expression.kind !== 'in')
    return (
      matches(expression.left, item, catalog, columnAt) || matches(expression.right, item, catalog, columnAt)
    );
  const text = catalog.values[columnAt.get(expression.column.toUpperCase())!]![item] ?? '';
  if (text === '') return false;
  // Multi-valued categorical columns separate their values with `|`.
  const values = text.split('|').map((value) => value.trim());
  return expression.values.some((wanted) => values.includes(wanted));
}

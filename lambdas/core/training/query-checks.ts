import {
  columnsOf,
  ExpressionError,
  type ItemExpression,
  parseItemExpression,
  usesOnlyPersonalizeSyntax,
} from '../segmentation/item-expression';
import { metadataFields } from './schema-datasets';
import type { TrainingConfig } from './training-config';

/** A problem found in training.json itself; `path` is where in the file (`batchSegmentJobs[0].queries[2]`). */
export interface ConfigProblem {
  readonly path: string;
  readonly reason: string;
}

/** A value a query asks for, which must occur in at least one item. */
export interface WantedValue {
  /** The items column, upper-cased; `ITEM_ID` for item-affinity queries. */
  readonly column: string;
  readonly value: string;
  /** Where the query is, for the problem if the value is never seen. */
  readonly path: string;
}

/**
 * Personalize's documented limits on metadata columns (Amazon Personalize endpoints and quotas):
 * at most 5 in an Item interactions dataset, 50 in Items, 25 in Users.
 */
export const MAX_METADATA_FIELDS = { interactions: 5, items: 50, users: 25 } as const;

/**
 * What can be checked in training.json before any data is read: the recipe has the items metadata it
 * needs, each query is in the syntax batch segment jobs take and names columns the items schema
 * has, and the schemas stay within Personalize's limits. Returns the problems and the values the
 * queries ask for, to be looked for in the items.
 */
export function checkQueries(config: TrainingConfig): { problems: ConfigProblem[]; wanted: WantedValue[] } {
  const problems: ConfigProblem[] = [];
  const wanted: WantedValue[] = [];
  for (const dataset of ['interactions', 'items', 'users'] as const) {
    const count = metadataFields(config, dataset).length;
    if (count > MAX_METADATA_FIELDS[dataset]) {
      problems.push({
        path: `schemas.${dataset}.fields`,
        reason: `declares ${count} metadata fields; Personalize takes at most ${MAX_METADATA_FIELDS[dataset]} in the ${dataset} dataset. Remove some.`,
      });
    }
  }
  const itemColumns = new Map(
    config.schemas.items.fields.map((field) => [field.name.toUpperCase(), field] as const),
  );
  if (config.recipe === 'aws-item-attribute-affinity') {
    const queryable = metadataFields(config, 'items').filter((field) => !field.textual);
    if (queryable.length === 0) {
      problems.push({
        path: 'schemas.items.fields',
        reason:
          'aws-item-attribute-affinity needs an items dataset with at least one metadata field that is not textual (e.g. a categorical GENRES); add one, or use aws-item-affinity',
      });
    }
  }
  config.batchSegmentJobs.forEach((job, jobIndex) => {
    job.queries.forEach((query, queryIndex) => {
      const path = `batchSegmentJobs[${jobIndex}].queries[${queryIndex}]`;
      if ('itemId' in query) {
        wanted.push({ column: 'ITEM_ID', value: query.itemId, path });
        return;
      }
      let expression: ItemExpression;
      try {
        expression = parseItemExpression(query.itemAttributes);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        problems.push({
          path,
          reason: `cannot be read (${error.message}); write ITEMS.<COLUMN> = "value", joined by AND`,
        });
        return;
      }
      if (!usesOnlyPersonalizeSyntax(expression)) {
        problems.push({
          path,
          reason:
            'uses IN, OR or parentheses, which batch segment jobs refuse; write ITEMS.<COLUMN> = "value", joined by AND, or split it into several queries',
        });
        return;
      }
      for (const column of new Set(columnsOf(expression).map((c) => c.toUpperCase()))) {
        const field = itemColumns.get(column);
        if (!field) {
          problems.push({
            path,
            reason: `names the column ${column}, which the items schema does not declare; add it to schemas.items or fix the query`,
          });
        } else if (field.textual) {
          problems.push({
            path,
            reason: `queries the textual column ${column}; Personalize cannot segment on unstructured text, use a categorical column`,
          });
        }
      }
      for (const condition of conditionsOf(expression)) {
        if (itemColumns.has(condition.column.toUpperCase())) {
          wanted.push({ column: condition.column.toUpperCase(), value: condition.values[0]!, path });
        }
      }
    });
  });
  return { problems, wanted };
}

function conditionsOf(expression: ItemExpression): Extract<ItemExpression, { kind: 'in' }>[] {
  if (expression.kind === 'in') return [expression];
  return [...conditionsOf(expression.left), ...conditionsOf(expression.right)];
}

/**
 * Whether a cell holds the value a query asks for: one of a categorical cell's `|`-separated values
 * (case-insensitively, as Personalize compares categorical values), or the same number.
 */
export function cellHolds(cell: string | number | Date | null, value: string): boolean {
  if (cell === null) return false;
  if (typeof cell === 'number') return value.trim() !== '' && Number(value) === cell;
  if (cell instanceof Date) return false;
  const wanted = value.toLowerCase();
  return cell.split('|').some((part) => part.trim().toLowerCase() === wanted);
}

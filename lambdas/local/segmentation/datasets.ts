import { parse } from 'csv-parse';
import { UserFacingError } from '../../core/errors';

/**
 * Personalize's interactions and items datasets, read as streams into typed arrays: one entry per
 * interaction, no object per row. Only the columns the model needs are read; the dataset
 * validation of ingestion is not repeated here, but a missing column or a timestamp that is not
 * epoch seconds stops the read with the file and line.
 */

/** Interactions as parallel columns; `users[k]`, `items[k]`, `timestamps[k]` are one interaction. */
export interface Interactions {
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** Epoch seconds. */
  readonly timestamps: Float64Array;
  readonly count: number;
}

/** The items dataset: each attribute column's raw text per item index (`''` when unknown). */
export interface ItemCatalog {
  /** Column names as written in the header, ITEM_ID excluded. */
  readonly columns: readonly string[];
  /** `values[c][item]`: the text of column `columns[c]` for an item; `|` separates several values. */
  readonly values: readonly (readonly string[])[];
}

/** An interactions reader keeps growing these; `itemIndex` is shared with the catalogue. */
export class IdIndex {
  readonly ids: string[] = [];
  readonly #index = new Map<string, number>();

  indexOf(id: string): number {
    let index = this.#index.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.#index.set(id, index);
      this.ids.push(id);
    }
    return index;
  }

  find(id: string): number | undefined {
    return this.#index.get(id);
  }
}

/** Where a dataset comes from: a name for messages and its bytes. */
export interface DatasetSource {
  readonly name: string;
  readonly bytes: AsyncIterable<Buffer | string>;
}

async function* records(
  source: DatasetSource,
  required: readonly string[],
): AsyncGenerator<{ row: string[]; line: number; header: string[]; at: Map<string, number> }> {
  const parser = parse({ relax_column_count: true, skip_empty_lines: true, bom: true });
  const feed = (async () => {
    try {
      for await (const chunk of source.bytes) if (!parser.write(chunk)) await once(parser, 'drain');
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  let header: string[] | undefined;
  let at = new Map<string, number>();
  let line = 0;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      line++;
      if (!header) {
        header = row.map((name) => name.trim());
        at = new Map(header.map((name, i) => [name.toUpperCase(), i]));
        const missing = required.filter((name) => !at.has(name));
        if (missing.length > 0)
          throw new UserFacingError(
            `no ${missing.join(', ')} column (the header has ${header.join(', ') || 'no columns'})`,
            { location: `${source.name} line 1` },
          );
        continue;
      }
      yield { row, line, header, at };
    }
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    throw new UserFacingError(`cannot be read as CSV: ${(error as Error).message}`, {
      location: `${source.name} line ${line + 1}`,
      cause: error,
    });
  } finally {
    await feed;
  }
  if (!header) throw new UserFacingError(`${source.name}: the file is empty (no header line)`);
}

async function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  await new Promise<void>((resolve) => emitter.once(event, () => resolve()));
}

/**
 * Reads `interactions.csv` (USER_ID, ITEM_ID, TIMESTAMP; other columns are ignored). Every
 * interaction counts the same whatever its EVENT_TYPE.
 */
export async function readInteractions(
  source: DatasetSource,
  ids: { users: IdIndex; items: IdIndex } = { users: new IdIndex(), items: new IdIndex() },
): Promise<Interactions> {
  let capacity = 1 << 16;
  let users = new Int32Array(capacity);
  let items = new Int32Array(capacity);
  let timestamps = new Float64Array(capacity);
  let count = 0;
  for await (const { row, line, at } of records(source, ['USER_ID', 'ITEM_ID', 'TIMESTAMP'])) {
    const userId = row[at.get('USER_ID')!]?.trim() ?? '';
    const itemId = row[at.get('ITEM_ID')!]?.trim() ?? '';
    const text = row[at.get('TIMESTAMP')!]?.trim() ?? '';
    const location = `${source.name} line ${line}`;
    if (userId === '') throw new UserFacingError('USER_ID is empty', { location });
    if (itemId === '') throw new UserFacingError('ITEM_ID is empty', { location });
    const timestamp = Number(text);
    if (text === '' || !Number.isFinite(timestamp))
      throw new UserFacingError(`TIMESTAMP '${text}' is not epoch seconds`, { location });
    if (count === capacity) {
      capacity *= 2;
      users = grow(users, new Int32Array(capacity));
      items = grow(items, new Int32Array(capacity));
      timestamps = grow(timestamps, new Float64Array(capacity));
    }
    users[count] = ids.users.indexOf(userId);
    items[count] = ids.items.indexOf(itemId);
    timestamps[count] = timestamp;
    count++;
  }
  return {
    userIds: ids.users.ids,
    itemIds: ids.items.ids,
    users: users.subarray(0, count),
    items: items.subarray(0, count),
    timestamps: timestamps.subarray(0, count),
    count,
  };
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Reads `items.csv` (ITEM_ID and attribute columns) into the item index `items`, adding items the
 * interactions never saw. A later row for the same ITEM_ID replaces the earlier one.
 */
export async function readItemCatalog(source: DatasetSource, items: IdIndex): Promise<ItemCatalog> {
  let columns: string[] = [];
  let columnAt: number[] = [];
  let values: string[][] = [];
  for await (const { row, line, header, at } of records(source, ['ITEM_ID'])) {
    if (columns.length === 0 && values.length === 0) {
      const idAt = at.get('ITEM_ID')!;
      columnAt = header.map((_, i) => i).filter((i) => i !== idAt);
      columns = columnAt.map((i) => header[i]!);
      values = columns.map(() => []);
    }
    const itemId = row[at.get('ITEM_ID')!]?.trim() ?? '';
    if (itemId === '')
      throw new UserFacingError('ITEM_ID is empty', { location: `${source.name} line ${line}` });
    const item = items.indexOf(itemId);
    columnAt.forEach((i, c) => (values[c]![item] = row[i]?.trim() ?? ''));
  }
  for (const column of values) for (let i = 0; i < items.ids.length; i++) column[i] ??= '';
  return { columns, values };
}

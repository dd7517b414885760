import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { parquetEncoder, type ParquetColumn } from '../../../lambdas/core/ingest/parquet-rows';
import type { CellValue } from '../../../lambdas/core/ingest/read-rows';

const COLUMNS: ParquetColumn[] = [
  { name: 'id', storage: 'string' },
  { name: 'store', storage: 'string' },
  { name: 'amount', storage: 'double' },
  { name: 'count', storage: 'bigint' },
  { name: 'at', storage: 'timestamp' },
];
const GROUP = 2000;
const NAMES = ['Zoë', 'Renée 🛍', 'Omar', 'Łukasz'];

/** Row i: a distinct ID, a store of few values (non-ASCII too), and a null now and then in every column. */
function row(i: number): CellValue[] {
  return [
    i % 101 === 5 ? null : `R${i}-${NAMES[i % 4]}`,
    i % 97 === 3 ? null : `S${i % 7} ${NAMES[i % 4]}`,
    i % 89 === 1 ? null : ((i % 20_000) - 500) / 100,
    i % 83 === 2 ? null : (i % 3 === 0 ? -1 : 1) * (i * 1_000_003),
    i % 79 === 4 ? null : new Date(Date.UTC(2025, 0, 1) + i * 60_000),
  ];
}

function fileOf(chunks: Uint8Array[]): ArrayBuffer {
  return new Uint8Array(Buffer.concat(chunks)).buffer;
}

describe('parquetEncoder', () => {
  it('writes rows that hyparquet reads back unchanged, over several row groups, with nulls and UTF-8', async () => {
    const rows = Array.from({ length: 2 * GROUP + 1234 }, (_, i) => row(i));
    const encoder = parquetEncoder(COLUMNS, GROUP);
    const chunks: Uint8Array[] = [];
    for (const r of rows) chunks.push(...(encoder.add(r) ?? []));
    chunks.push(...encoder.finish());
    const file = fileOf(chunks);

    const metadata = parquetMetadata(file);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([GROUP, GROUP, 1234]);
    const read = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(read).toHaveLength(rows.length);
    for (let i = 0; i < rows.length; i += 1) {
      const [id, store, amount, count, at] = rows[i]!;
      expect(read[i]).toEqual({
        id,
        store,
        amount,
        count: count === null ? null : BigInt(count as number),
        at,
      });
    }

    const chunk = (name: string) =>
      metadata.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!;
    // Few distinct stores: dictionary-encoded; distinct IDs: PLAIN.
    expect(chunk('store').encodings).toContain('RLE_DICTIONARY');
    expect(chunk('id').encodings).toEqual(['PLAIN']);
    // Numbers and timestamps carry min/max statistics; text carries none.
    const first = rows.slice(0, GROUP);
    const present = (k: number) => first.map((r) => r[k]).filter((v) => v !== null) as number[];
    expect(chunk('amount').statistics).toMatchObject({
      min_value: present(2).reduce((a, b) => Math.min(a, b)),
      max_value: present(2).reduce((a, b) => Math.max(a, b)),
      null_count: BigInt(first.filter((r) => r[2] === null).length),
    });
    expect(chunk('count').statistics).toMatchObject({
      min_value: BigInt(present(3).reduce((a, b) => Math.min(a, b))),
      max_value: BigInt(present(3).reduce((a, b) => Math.max(a, b))),
    });
    const times = first.map((r) => r[4]).filter((v) => v !== null) as Date[];
    expect(chunk('at').statistics).toMatchObject({ min_value: times[0], max_value: times.at(-1) });
    expect(chunk('id').statistics).toBeUndefined();
  });

  it('gives the same file whether rows come one by one or in batches', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(i));
    const one = parquetEncoder(COLUMNS, GROUP);
    const byRow = [...rows.flatMap((r) => one.add(r) ?? []), ...one.finish()];
    const batched = parquetEncoder(COLUMNS, GROUP);
    const byBatch = [
      ...batched.encode(rows.slice(0, 1000)),
      ...batched.encode(rows.slice(1000)),
      ...batched.finish(),
    ];
    expect(Buffer.concat(byRow).equals(Buffer.concat(byBatch))).toBe(true);
  });

  it('writes a readable file with no rows', async () => {
    const file = fileOf(parquetEncoder(COLUMNS).finish());
    expect(await parquetReadObjects({ file })).toEqual([]);
    expect(parquetMetadata(file).schema.map((e) => e.name)).toEqual(['root', ...COLUMNS.map((c) => c.name)]);
  });

  it('refuses an integer column value that INT64 cannot hold exactly', () => {
    const encoder = parquetEncoder([{ name: 'count', storage: 'bigint' }]);
    expect(() => encoder.add([1.5])).toThrow(/INT64/);
  });
});

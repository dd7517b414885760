import { describe, expect, it } from 'vitest';
import { datasetForKey, type DatasetDefinition } from '../../../lambdas/core/ingest/datasets';
import {
  type BadRow,
  FileProblem,
  type GoodRow,
  readDatasetRows,
  type ValidatedRecord,
} from '../../../lambdas/core/ingest/read-rows';

const orders = datasetForKey('web/orders.csv')!;
const customers = datasetForKey('crm/customers.csv')!;
const interactions = datasetForKey('personalize/sample/interactions.csv')!;
const ORDERS_HEADER = 'order_id,customer_id,item_count,amount,ordered_at';

async function read(
  content: string | Uint8Array,
  dataset: DatasetDefinition = orders,
  chunkSize = 7,
): Promise<ValidatedRecord[]> {
  // Small chunks: every rule must hold when a row, a quote or a character is split across reads.
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const records: ValidatedRecord[] = [];
  for await (const record of readDatasetRows(chunks, dataset, 'web/orders.csv')) records.push(record);
  return records;
}

const good = (records: ValidatedRecord[]) => records.filter((r): r is GoodRow => r.kind === 'row');
const bad = (records: ValidatedRecord[]) => records.filter((r): r is BadRow => r.kind === 'invalid');

async function fileProblemOf(
  content: string | Uint8Array,
  dataset: DatasetDefinition = orders,
): Promise<FileProblem> {
  const error = await read(content, dataset).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FileProblem);
  return error as FileProblem;
}

describe('readDatasetRows', () => {
  it('reads a file with a byte-order mark and CRLF line ends as valid', async () => {
    const content = `\uFEFF${ORDERS_HEADER}\r\nO1,C1,2,10.50,2025-03-01T10:00:00Z\r\nO2,C2,1,3,1735689600\r\n`;

    const records = await read(content);

    expect(bad(records)).toEqual([]);
    expect(good(records).map((r) => r.values[0])).toEqual(['O1', 'O2']);
    expect(good(records).map((r) => r.line)).toEqual([2, 3]);
  });

  it('keeps a quoted newline inside one cell and counts lines as the file has them', async () => {
    const content = `customer_id,email,first_name,last_name,phone,postcode,created_at\nC1,a@example.com,"Mary\nAnn",Lee,,12345,2025-01-01T00:00:00Z\nC2,,Bo,Li,,,2025-01-02T00:00:00Z\n`;

    const records = await read(content, customers);

    expect(good(records).map((r) => r.values[2])).toEqual(['Mary\nAnn', 'Bo']);
    expect(good(records).map((r) => r.line)).toEqual([3, 4]);
  });

  it('refuses a file whose header lacks a required column, naming it and the expected header', async () => {
    const problem = await fileProblemOf(
      'order_id,customer_id,amount,ordered_at\nO1,C1,1,2025-01-01T00:00:00Z\n',
    );

    expect(problem.line).toBe(1);
    expect(problem.message).toContain('item_count');
    expect(problem.message).toContain(ORDERS_HEADER);
  });

  it('refuses an extra column in a dataset that declares its columns', async () => {
    const problem = await fileProblemOf(`${ORDERS_HEADER},coupon\nO1,C1,1,2,2025-01-01T00:00:00Z,X\n`);

    expect(problem.message).toMatch(/does not declare: coupon/);
  });

  it('keeps extra columns of a Personalize dataset as metadata', async () => {
    const content = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE\nU1,I1,1735689600,click,ios\n';

    const records = await read(content, interactions);

    const header = records[0]!;
    expect(header.kind === 'header' && header.columns.map((c) => c.name)).toEqual([
      'USER_ID',
      'ITEM_ID',
      'TIMESTAMP',
      'EVENT_TYPE',
      'EVENT_VALUE',
      'DEVICE',
    ]);
    expect(good(records)[0]!.values).toEqual(['U1', 'I1', 1735689600, 'click', null, 'ios']);
  });

  it('refuses an empty file as holding nothing', async () => {
    const problem = await fileProblemOf('');

    expect(problem.message).toMatch(/empty/);
  });

  it('refuses a header-only file as holding no rows', async () => {
    const problem = await fileProblemOf(`${ORDERS_HEADER}\r\n`);

    expect(problem.message).toMatch(/header but no rows/);
  });

  it('refuses a file without a header instead of reading its first row as one', async () => {
    const problem = await fileProblemOf('O1,C1,1,2,2025-01-01T00:00:00Z\nO2,C1,1,2,2025-01-01T00:00:00Z\n');

    expect(problem.message).toMatch(/not a header/);
  });

  it('marks a row holding bytes that are not UTF-8, with its line and column, and never passes on U+FFFD', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${ORDERS_HEADER}\nO1,C1,1,2,2025-01-01T00:00:00Z\nO2,Caf`),
      Buffer.from([0xe9]),
      Buffer.from('-7,1,2,2025-01-01T00:00:00Z\n'),
    ]);

    const records = await read(latin1);

    expect(good(records).map((r) => r.values[0])).toEqual(['O1']);
    expect(bad(records)[0]!.problems[0]).toMatchObject({ line: 3, column: 'customer_id' });
    expect(bad(records)[0]!.problems[0]!.reason).toMatch(/not UTF-8/);
  });

  it('reads a 5 MB line as one row and reports its over-long ID without echoing all of it', async () => {
    const huge = 'C'.repeat(5 * 1024 * 1024);
    const content = `${ORDERS_HEADER}\nO1,${huge},1,2,2025-01-01T00:00:00Z\nO2,C2,1,2,2025-01-01T00:00:00Z\n`;

    const records = await read(content, orders, 64 * 1024);

    const [row] = bad(records);
    expect(row!.problems[0]).toMatchObject({ line: 2, column: 'customer_id' });
    expect(row!.problems[0]!.reason).toMatch(/longer than 256/);
    expect(row!.problems[0]!.value!.length).toBeLessThanOrEqual(200);
    expect(good(records).map((r) => r.values[0])).toEqual(['O2']);
  });

  it('names the line where an unclosed quote opens, not the end of the file', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `O${i},C${i},1,2,2025-01-01T00:00:00Z`);
    rows.splice(4, 0, '"O-open,C9,1,2,2025-01-01T00:00:00Z');

    const problem = await fileProblemOf(`${ORDERS_HEADER}\n${rows.join('\n')}\n`);

    expect(problem.line).toBe(6);
    expect(problem.message).toMatch(/quote opens here and never closes/);
  });

  it('reports a row with a stray quote once, as not valid CSV, without quoting the cell', async () => {
    const records = await read(
      `${ORDERS_HEADER}\nO1,Ca"fe"7,1,2,2025-01-01T00:00:00Z\nO2,C2,1,2,2025-01-01T00:00:00Z\n`,
    );

    expect(bad(records)).toHaveLength(1);
    expect(bad(records)[0]!.line).toBe(2);
    expect(bad(records)[0]!.problems[0]!.reason).toMatch(/^not valid CSV: /);
    expect(bad(records)[0]!.problems[0]!.reason).not.toContain('Ca');
    expect(good(records).map((r) => r.values[0])).toEqual(['O2']);
  });

  it('rejects a bad timestamp with its line, column and the forms it accepts', async () => {
    const content = `${ORDERS_HEADER}\nO1,C1,1,2,yesterday\nO2,C1,1,2,1735689600000\nO3,C1,1,2,2025-01-01 10:00\n`;

    const records = await read(content);

    expect(bad(records).map((r) => [r.line, r.problems[0]!.column, r.problems[0]!.reason])).toEqual([
      [2, 'ordered_at', 'is not an ISO 8601 date-time or epoch seconds'],
      [3, 'ordered_at', 'looks like epoch milliseconds; write epoch seconds or ISO 8601'],
      [4, 'ordered_at', 'has no time zone; add Z or an offset such as +01:00'],
    ]);
  });

  it('normalises ISO 8601 and epoch seconds to one instant', async () => {
    const content = `${ORDERS_HEADER}\nO1,C1,1,2,2025-01-01T01:00:00+01:00\nO2,C1,1,2,1735689600\n`;

    const [first, second] = good(await read(content));

    expect(first!.values[4]).toEqual(new Date('2025-01-01T00:00:00Z'));
    expect(second!.values[4]).toEqual(new Date('2025-01-01T00:00:00Z'));
  });

  it('lower-cases and trims emails and writes phones in E.164 for the configured region', async () => {
    const content =
      'customer_id,email,first_name,last_name,phone,postcode,created_at\n' +
      'C1, Masha.Kelley12@Example.com ,Masha,Kelley,(212) 555-0142,10001,2025-01-01T00:00:00Z\n' +
      'C2,not-an-email,Bo,Li,12,,2025-01-01T00:00:00Z\n';

    const records = await read(content, customers);

    expect(good(records)[0]!.values.slice(1, 5)).toEqual([
      'masha.kelley12@example.com',
      'Masha',
      'Kelley',
      '+12125550142',
    ]);
    expect(bad(records)[0]!.problems.map((p) => p.column)).toEqual(['email', 'phone']);
  });

  it('reports a row whose column count differs from the header', async () => {
    const records = await read(`${ORDERS_HEADER}\nO1,C1,1,2,2025-01-01T00:00:00Z,extra\nO2,C1\n`);

    expect(bad(records).map((r) => r.problems[0]!.reason)).toEqual([
      'has 6 column(s); the header has 5',
      'has 2 column(s); the header has 5',
    ]);
  });

  it('requires a value in a required column and takes an empty optional one as null', async () => {
    const content =
      'customer_id,email,first_name,last_name,phone,postcode,created_at\n,,,,,,2025-01-01T00:00:00Z\nC2,,,,,,2025-01-01T00:00:00Z\n';

    const records = await read(content, customers);

    expect(bad(records)[0]!.problems[0]).toMatchObject({
      column: 'customer_id',
      reason: 'is empty but required',
    });
    expect(good(records)[0]!.values).toEqual([
      'C2',
      null,
      null,
      null,
      null,
      null,
      new Date('2025-01-01T00:00:00Z'),
    ]);
  });

  it('converts ISO timestamps to the epoch seconds Personalize imports', async () => {
    const records = await read('USER_ID,ITEM_ID,TIMESTAMP\nU1,I1,2025-01-01T00:00:00Z\n', interactions);

    expect(good(records)[0]!.values[2]).toBe(1735689600);
  });
});

import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { ingestFile, type IngestRequest } from '../../../lambdas/core/ingest/ingest-file';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const ORDERS_HEADER = 'order_id,customer_id,item_count,amount,ordered_at';
const order = (i: number) =>
  `O${i},C${i % 7},${1 + (i % 3)},${(10 + i / 4).toFixed(2)},2025-0${1 + (i % 9)}-01T00:00:00Z`;

function world(files: Record<string, string>) {
  const landing = new MemoryObjectStore();
  for (const [key, body] of Object.entries(files)) landing.objects.set(key, Buffer.from(body));
  const trusted = new MemoryObjectStore();
  const quarantine = new MemoryObjectStore();
  return { landing, trusted, quarantine };
}

const request = (key: string, etag = 'etag-1', more: Partial<IngestRequest> = {}): IngestRequest => ({
  key,
  etag,
  ingestDate: '2026-12-02',
  ...more,
});

async function readParquet(store: MemoryObjectStore, key: string): Promise<Record<string, unknown>[]> {
  const bytes = store.objects.get(key)!;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Record<string, unknown>[];
}

describe('ingestFile', () => {
  it('writes good rows to the trusted zone as typed Parquet, partitioned by dataset and ingest date', async () => {
    const stores = world({
      'web/orders.csv': `${ORDERS_HEADER}\nO1,C1,2,10.50,2025-03-01T10:00:00Z\nO2,C2,1,3,1735689600\n`,
    });

    const outcome = await ingestFile(stores, request('web/orders.csv', 'abc123'));

    expect(outcome).toMatchObject({ status: 'ingested', rowsIn: 2, good: 2, bad: 0, duplicates: 0 });
    const output = outcome.status === 'ingested' ? outcome.output : '';
    expect(output).toBe('trusted/web/orders/ingest_date=2026-12-02/orders-abc123.parquet');
    expect(await readParquet(stores.trusted, output)).toEqual([
      {
        order_id: 'O1',
        customer_id: 'C1',
        item_count: 2n,
        amount: 10.5,
        ordered_at: new Date('2025-03-01T10:00:00Z'),
      },
      {
        order_id: 'O2',
        customer_id: 'C2',
        item_count: 1n,
        amount: 3,
        ordered_at: new Date('2025-01-01T00:00:00Z'),
      },
    ]);
  });

  it('keeps min/max statistics on numbers and timestamps, for Athena to skip row groups, and none on text', async () => {
    const stores = world({
      'web/orders.csv': `${ORDERS_HEADER}\nO1,C1,2,10.50,2025-03-01T10:00:00Z\nO2,C2,1,3,1735689600\n`,
    });
    const outcome = await ingestFile(stores, request('web/orders.csv'));
    const bytes = stores.trusted.objects.get(outcome.status === 'ingested' ? outcome.output : '')!;
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

    const chunks = parquetMetadata(file).row_groups[0]!.columns.map((c) => c.meta_data!);
    const stats = Object.fromEntries(chunks.map((c) => [c.path_in_schema.join('.'), c.statistics]));
    expect(stats['ordered_at']).toMatchObject({
      min_value: new Date('2025-01-01T00:00:00Z'),
      max_value: new Date('2025-03-01T10:00:00Z'),
    });
    expect(stats['amount']).toMatchObject({ min_value: 3, max_value: 10.5 });
    expect(stats['item_count']).toMatchObject({ min_value: 1n, max_value: 2n });
    expect(stats['order_id']).toBeUndefined();
    expect(stats['customer_id']).toBeUndefined();
  });

  it('drops exact duplicate rows and counts them, after normalisation', async () => {
    const stores = world({
      'crm/customers.csv':
        'customer_id,email,first_name,last_name,phone,postcode,created_at\n' +
        'C1,a@example.com,A,B,,1,2025-01-01T00:00:00Z\n' +
        'C1,A@Example.com ,A,B,,1,1735689600\n' +
        'C2,b@example.com,A,B,,1,2025-01-01T00:00:00Z\n',
    });

    const outcome = await ingestFile(stores, request('crm/customers.csv'));

    expect(outcome).toMatchObject({ status: 'ingested', rowsIn: 3, good: 2, duplicates: 1 });
  });

  it('quarantines bad rows with a row-level report and the rows themselves, and keeps the good ones', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => order(i));
    rows[10] = 'O10,C1,two,1,2025-01-01T00:00:00Z';
    const stores = world({ 'web/orders.csv': `${ORDERS_HEADER}\n${rows.join('\n')}\n` });

    const outcome = await ingestFile(stores, request('web/orders.csv'));

    expect(outcome).toMatchObject({
      status: 'ingested',
      rowsIn: 40,
      good: 39,
      bad: 1,
      report: 'quarantine/web/orders.csv/report.csv',
    });
    expect(stores.quarantine.text('quarantine/web/orders.csv/report.csv')).toBe(
      'file,line,column,value,reason\nweb/orders.csv,12,item_count,two,is not a whole number\n',
    );
    expect(stores.quarantine.text('quarantine/web/orders.csv/rows.csv')).toBe(
      `line,${ORDERS_HEADER}\n12,O10,C1,two,1,2025-01-01T00:00:00Z\n`,
    );
  });

  it('neutralises cells that a spreadsheet would run as formulas in the quarantine files', async () => {
    const stores = world({
      'web/orders.csv': `${ORDERS_HEADER}\n${order(1)}\n"=HYPERLINK(""x"")",C1,-1,@SUM(A1),2025-01-01T00:00:00Z\n`,
    });

    await ingestFile(stores, request('web/orders.csv', 'e', { maxBadShare: 1 }));

    const report = stores.quarantine.text('quarantine/web/orders.csv/report.csv');
    expect(report).toContain(",'@SUM(A1),");
    const rows = stores.quarantine.text('quarantine/web/orders.csv/rows.csv');
    expect(rows).toContain(`3,"'=HYPERLINK(""x"")",C1,'-1,'@SUM(A1)`);
    expect(`${report}\n${rows}`).not.toMatch(/(^|,)[=+\-@]/m);
  });

  it('rejects a file whose bad share exceeds the threshold, writing nothing to the trusted zone', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => order(i));
    rows[3] = 'O3,C1,1,1,not-a-date';
    rows[4] = 'O4,C1,1,1,not-a-date';
    const stores = world({ 'web/orders.csv': `${ORDERS_HEADER}\n${rows.join('\n')}\n` });

    const outcome = await ingestFile(stores, request('web/orders.csv'));

    expect(outcome.status).toBe('rejected');
    expect(outcome).toMatchObject({ bad: 2, rowsIn: 20, firstProblems: [{ line: 5 }, { line: 6 }] });
    expect(outcome.status === 'rejected' && outcome.reason).toMatch(
      /2 of 20 rows \(10\.0 %\) are invalid, more than the 5\.0 %/,
    );
    expect([...stores.trusted.objects.keys()]).toEqual([]);
    expect(stores.quarantine.objects.has('quarantine/web/orders.csv/report.csv')).toBe(true);
    expect(stores.landing.objects.has('web/orders.csv')).toBe(true);
  });

  it('accepts a bad share exactly at the threshold', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => order(i));
    rows[3] = 'O3,C1,1,1,not-a-date';
    const stores = world({ 'web/orders.csv': `${ORDERS_HEADER}\n${rows.join('\n')}\n` });

    const outcome = await ingestFile(stores, request('web/orders.csv'));

    expect(outcome).toMatchObject({ status: 'ingested', bad: 1, good: 19 });
  });

  it('rejects a structurally broken file whole, naming the line, with nothing in the trusted zone', async () => {
    const stores = world({
      'web/orders.csv': `${ORDERS_HEADER}\n${order(1)}\n"O2,C1,1,1,2025-01-01T00:00:00Z\n${order(3)}\n`,
    });

    const outcome = await ingestFile(stores, request('web/orders.csv'));

    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && outcome.reason).toMatch(
      /^web\/orders\.csv line 3: a quote opens here/,
    );
    expect([...stores.trusted.objects.keys()]).toEqual([]);
  });

  it('skips content delivered a second time, pointing at the first output', async () => {
    const stores = world({ 'web/orders.csv': `${ORDERS_HEADER}\n${order(1)}\n` });
    const first = await ingestFile(
      stores,
      request('web/orders.csv', 'same-etag', { ingestDate: '2026-12-01' }),
    );
    const objectsAfterFirst = [...stores.trusted.objects.keys()];

    const second = await ingestFile(stores, request('web/orders.csv', 'same-etag'));

    expect(second).toEqual({
      status: 'already-ingested',
      dataset: 'web/orders',
      key: 'web/orders.csv',
      output: first.status === 'ingested' ? first.output : 'not ingested',
    });
    expect([...stores.trusted.objects.keys()]).toEqual(objectsAfterFirst);
  });

  it('ingests changed content under the same key again', async () => {
    const stores = world({ 'web/orders.csv': `${ORDERS_HEADER}\n${order(1)}\n` });
    await ingestFile(stores, request('web/orders.csv', 'v1'));

    const second = await ingestFile(stores, request('web/orders.csv', 'v2'));

    expect(second.status).toBe('ingested');
  });

  it('rejects a key that no dataset declares, listing where files land', async () => {
    const stores = world({ 'misc/stuff.csv': 'a\n1\n' });

    const outcome = await ingestFile(stores, request('misc/stuff.csv'));

    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(outcome.status === 'rejected' && outcome.reason).toMatch(
      /no dataset is declared for misc\/stuff\.csv; files land as crm\/customers\.csv/,
    );
  });

  it('keeps Personalize datasets as CSV with epoch seconds, under their dataset group', async () => {
    const stores = world({
      'personalize/movies/interactions.csv':
        'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nU1,I1,2025-01-01T00:00:00Z,watch\nU2,"I,2",1735689601,click\n',
    });

    const outcome = await ingestFile(stores, request('personalize/movies/interactions.csv', 'p1'));

    const output = outcome.status === 'ingested' ? outcome.output : '';
    expect(output).toBe('trusted/personalize/movies/ingest_date=2026-12-02/interactions-p1.csv');
    expect(stores.trusted.text(output)).toBe(
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nU1,I1,1735689600,watch,\nU2,"I,2",1735689601,click,\n',
    );
  });
});

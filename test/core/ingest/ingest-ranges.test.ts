import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { ingestFile, type IngestRequest } from '../../../lambdas/core/ingest/ingest-file';
import { ingestInRanges, planLandingRanges } from '../../../lambdas/core/ingest/ingest-ranges';
import { SuppressionList } from '../../../lambdas/core/privacy/suppression';
import { hashIdentifier } from '../../../lambdas/core/privacy/subject';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const HEADER = 'order_id,customer_id,item_count,amount,ordered_at';
const order = (i: number) =>
  `O${i},C${i % 7},${1 + (i % 3)},${(10 + i / 4).toFixed(2)},2025-0${1 + (i % 9)}-01T00:00:00Z`;

/** Orders with bad rows, a quoted newline, duplicates next to each other and far apart. */
function ordersFile(eol = '\n', badEvery = 40): string {
  const lines = [HEADER];
  for (let i = 1; i <= 300; i++) {
    if (i % badEvery === 0) lines.push(`O${i},C1,many,3,2025-01-01T00:00:00Z`);
    else if (i === 77) lines.push(`"O${i}${eol}x",C1,1,3,2025-01-01T00:00:00Z`);
    else if (i % 50 === 0) lines.push(order(i - 1));
    else lines.push(order(i));
  }
  // Copies of rows from the start of the file, in the last range: cross-range duplicates.
  lines.push(order(1), order(2), order(299));
  return lines.join(eol) + eol;
}

function world(body: string) {
  const landing = new MemoryObjectStore();
  landing.objects.set('web/orders.csv', Buffer.from(body));
  return { landing, trusted: new MemoryObjectStore(), quarantine: new MemoryObjectStore() };
}

const request: IngestRequest = { key: 'web/orders.csv', etag: 'etag-1', ingestDate: '2026-12-02' };

async function rowsUnder(store: MemoryObjectStore, prefix: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  const keys = [...store.objects.keys()].filter((k) => k.startsWith(prefix) && k.endsWith('.parquet')).sort();
  for (const key of keys) {
    const bytes = store.objects.get(key)!;
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    rows.push(...(await parquetReadObjects({ file })));
  }
  return rows;
}

const text = (store: MemoryObjectStore, key: string) => store.objects.get(key)?.toString('utf8');

describe('ingestInRanges', () => {
  it.each(['\n', '\r\n'])(
    'gives the same trusted rows, counts, duplicates and quarantine report as a whole-file run (EOL %j)',
    async (eol) => {
      const body = ordersFile(eol);
      const whole = world(body);
      const ranged = world(body);
      const plan = await planLandingRanges(ranged.landing, request.key, 700);
      expect(plan.ranges.length).toBeGreaterThan(5);

      const expected = await ingestFile(whole, request);
      const outcome = await ingestInRanges(ranged, request, 700);

      expect(expected).toMatchObject({ status: 'ingested', bad: 8, duplicates: 8 });
      expect(outcome.status).toBe('ingested');
      if (outcome.status !== 'ingested' || expected.status !== 'ingested') return;
      const counts = ({ rowsIn, good, bad, duplicates }: typeof outcome) => ({
        rowsIn,
        good,
        bad,
        duplicates,
      });
      expect(counts(outcome)).toEqual(counts(expected));
      // 5 copies of the row before (i % 50), and 3 copies of rows of the first ranges in the last one.
      expect(outcome.firstProblems).toEqual(expected.firstProblems);
      expect(outcome.output).toMatch(/^trusted\/web\/orders\/ingest_date=2026-12-02\/orders-etag1-part-$/);
      expect(await rowsUnder(ranged.trusted, outcome.output)).toEqual(
        await rowsUnder(whole.trusted, expected.output),
      );
      expect(outcome.report).toBe(expected.report);
      for (const name of ['report.csv', 'rows.csv']) {
        const key = `quarantine/web/orders.csv/${name}`;
        expect(text(ranged.quarantine, key)).toBe(text(whole.quarantine, key));
      }
    },
  );

  it('drops and counts the rows of an erased customer as a whole-file run does', async () => {
    // Prepare: C3 was erased; their orders are spread over every range.
    const salt = Buffer.alloc(32, 9);
    const suppression = new SuppressionList(salt, new Set([hashIdentifier(salt, 'id', 'C3')]));
    const body = ordersFile();
    const whole = world(body);
    const ranged = world(body);

    // Act
    const expected = await ingestFile(whole, { ...request, suppression });
    const outcome = await ingestInRanges(ranged, { ...request, suppression }, 700);

    // Assess
    expect(expected.status === 'ingested' && expected.suppressed).toBeGreaterThan(30);
    expect(outcome).toMatchObject({
      status: 'ingested',
      suppressed: (expected as { suppressed: number }).suppressed,
    });
    if (outcome.status !== 'ingested') return;
    const rows = (await rowsUnder(ranged.trusted, outcome.output)) as { customer_id: string }[];
    expect(rows.filter((row) => row.customer_id === 'C3')).toEqual([]);
    expect(rows.length).toBe(outcome.good);
  });

  it('judges the bad-row share on the whole file and then leaves nothing in the trusted zone', async () => {
    const stores = world(ordersFile('\n', 9));

    const outcome = await ingestInRanges(stores, request, 700);

    expect(outcome).toMatchObject({ status: 'rejected', bad: 34 });
    if (outcome.status === 'rejected') expect(outcome.reason).toMatch(/34 of 303 rows .* rejected whole/);
    expect([...stores.trusted.objects.keys()].filter((k) => k.endsWith('.parquet'))).toEqual([]);
    expect(text(stores.quarantine, 'quarantine/web/orders.csv/report.csv')).toMatch(
      /^file,line,column,value,reason\nweb\/orders.csv,10,item_count,many,/,
    );
  });

  it('rejects the whole file when one range holds a quote that never closes', async () => {
    const body = `${ordersFile()}O999,"C1,1,3,2025-01-01T00:00:00Z\n${order(1000)}\n`;

    const expected = await ingestFile(world(body), request);
    const stores = world(body);
    const outcome = await ingestInRanges(stores, request, 700);

    expect(expected.status).toBe('rejected');
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected' && expected.status === 'rejected') {
      expect(outcome.reason).toBe(expected.reason);
      expect(outcome.firstProblems[0]).toEqual(expected.firstProblems[0]);
    }
    expect([...stores.trusted.objects.keys()].filter((k) => k.endsWith('.parquet'))).toEqual([]);
  });

  it('skips a second delivery of the same content', async () => {
    const stores = world(ordersFile());
    const first = await ingestInRanges(stores, request, 700);

    const second = await ingestInRanges(stores, request, 700);

    expect(second).toEqual({
      status: 'already-ingested',
      dataset: 'web/orders',
      key: request.key,
      output: first.status === 'ingested' ? first.output : 'unexpected',
    });
  });
});

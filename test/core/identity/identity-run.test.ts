import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_MAP_KEY,
  PROFILES_KEY,
  resolveTrustedIdentities,
  REVIEW_KEY,
} from '../../../lambdas/core/identity/identity-run';
import { ingestFile } from '../../../lambdas/core/ingest/ingest-file';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const CRM =
  'customer_id,email,first_name,last_name,phone,postcode,created_at\n' +
  'C1,Masha.Kelley@Example.com,Masha,Kelley,(212) 555-0101,10001,2021-01-01T00:00:00Z\n' +
  'C2,masha.kelley@example.com,John,Kelley,212-555-0102,10001,2021-02-01T00:00:00Z\n' +
  'C3,zoe@example.org,Zoe,Mendoza,372-555-0180,50933,2022-01-01T00:00:00Z\n';
const SALES =
  'receipt_id,store_id,name,email,phone,postcode,amount,sold_at\n' +
  'R1,S01,Zoe Mrndoza,zoe@example.org,372-555-0180,50933,12.00,2025-01-01T00:00:00Z\n' +
  'R2,S01,M. Kelley,masha.kelley@example.com,+12125550101,10001,3.50,2025-01-02T00:00:00Z\n';
const EVENTS =
  'anonymous_id,customer_id,event,item_id,order_id,timestamp\n' +
  'anon-1,,page_viewed,,,2025-01-01T00:00:00Z\n' +
  'anon-1,C3,signed_in,,,2025-01-01T00:01:00Z\n' +
  'anon-2,,page_viewed,,,2025-01-01T00:00:00Z\n';

async function landed(files: Record<string, string>, store = new MemoryObjectStore()) {
  const landing = new MemoryObjectStore();
  for (const [key, body] of Object.entries(files)) {
    landing.objects.set(key, Buffer.from(body));
    const outcome = await ingestFile(
      { landing, trusted: store, quarantine: store },
      { key, etag: `${key.length}-${body.length}`, ingestDate: '2026-12-02' },
    );
    expect(outcome.status).toBe('ingested');
  }
  return store;
}

async function table(store: MemoryObjectStore, key: string) {
  const bytes = store.objects.get(key)!;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Record<string, unknown>[];
}

describe('resolveTrustedIdentities', () => {
  it('writes one identity_map row per CRM record, receipt and web device', async () => {
    const store = await landed({
      'crm/customers.csv': CRM,
      'store/sales.csv': SALES,
      'web/events.csv': EVENTS,
    });

    const summary = await resolveTrustedIdentities(store);

    const map = await table(store, IDENTITY_MAP_KEY);
    expect(
      map.map((r) => `${String(r['source'])}:${String(r['source_id'])}=${String(r['customer_id'])}`),
    ).toEqual([
      'crm:C1=C1',
      'crm:C2=C2',
      'crm:C3=C3',
      'store:R1=C3',
      'store:R2=C1',
      'web:anon-1=C3',
      expect.stringMatching(/^web:anon-2=X[0-9a-f]{16}$/),
    ]);
    expect(summary).toMatchObject({
      records: 7,
      bySource: { crm: 3, store: 2, web: 2 },
      profiles: 4,
      merges: { email: 2, phone: 0, 'signed-in': 1, probabilistic: 0 },
    });
  });

  it('writes one profile per customer with the best-known attributes and where each came from', async () => {
    const store = await landed({
      'crm/customers.csv': CRM,
      'store/sales.csv': SALES,
      'web/events.csv': EVENTS,
    });

    await resolveTrustedIdentities(store);

    const zoe = (await table(store, PROFILES_KEY)).find((p) => p['customer_id'] === 'C3');
    expect(zoe).toMatchObject({
      first_name: 'Zoe',
      last_name: 'Mendoza',
      first_name_source: 'crm:C3',
      email: 'zoe@example.org',
      phone: '+13725550180',
      crm_records: 1n,
      store_receipts: 1n,
      web_devices: 1n,
    });
  });

  it('keeps every profile ID when the same data is resolved again with more of it', async () => {
    const store = await landed({
      'crm/customers.csv': CRM,
      'store/sales.csv': SALES,
      'web/events.csv': EVENTS,
    });
    await resolveTrustedIdentities(store);
    const before = await table(store, IDENTITY_MAP_KEY);

    await landed({ 'store/sales-2.csv': SALES.replace(/R1/g, 'R8').replace(/R2/g, 'R9') }, store);
    const summary = await resolveTrustedIdentities(store);

    const after = await table(store, IDENTITY_MAP_KEY);
    for (const row of before) {
      expect(after).toContainEqual(row);
    }
    expect(after).toContainEqual({ source: 'store', source_id: 'R8', customer_id: 'C3' });
    expect(summary.keptIds).toBe(4);
  });

  it('writes the review file with both records and the evidence, neutralised for spreadsheets', async () => {
    const store = await landed({
      'crm/customers.csv':
        'customer_id,email,first_name,last_name,phone,postcode,created_at\n' +
        'C1,a@example.org,=Eleanor,Butler,,62426,2021-01-01T00:00:00Z\n' +
        'C2,b@example.org,=Eleanor,Butler,,62426,2021-01-01T00:00:00Z\n',
    });

    const summary = await resolveTrustedIdentities(store);

    expect(summary.reviewPairs).toBe(1);
    expect(store.text(REVIEW_KEY)).toBe(
      'record_a,record_b,customer_a,customer_b,name_a,name_b,similarity,evidence\n' +
        "crm:C1,crm:C2,C1,C2,'=Eleanor Butler,'=Eleanor Butler,1.000,similar names (postcode)\n",
    );
  });
});

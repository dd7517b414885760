import { describe, expect, it } from 'vitest';
import { runPrivacyRequest } from '../../../lambdas/core/privacy/privacy-request';
import { parseSubject } from '../../../lambdas/core/privacy/subject';
import { VersionedMemoryStore } from './versioned-memory-store';

const HEADER = 'customer_id,email,first_name,last_name,phone,postcode,created_at\n';
const row = (id: string) => `${id},${id.toLowerCase()}@example.com,A,B,,07030,2025-01-01T00:00:00Z\n`;

async function erase(store: VersionedMemoryStore, id: string) {
  return runPrivacyRequest(
    { trusted: store, zones: [{ name: 'landing', store }] },
    {
      requestId: 'req-1',
      action: 'erase',
      subjects: [parseSubject(id)],
      salt: Buffer.alloc(32, 5),
      now: () => new Date('2026-12-02T12:00:00Z'),
    },
  );
}

describe('erasure in a versioned store', () => {
  it('deletes the non-current versions that hold the subject, keeps the others, and counts them', async () => {
    // Prepare: three deliveries of one file; the first and the last name C1.
    const store = new VersionedMemoryStore();
    await store.put('crm/customers.csv', HEADER + row('C1') + row('C2'));
    await store.put('crm/customers.csv', HEADER + row('C2') + row('C3'));
    await store.put('crm/customers.csv', HEADER + row('C1') + row('C3'));

    // Act
    const outcome = await erase(store, 'C1');

    // Assess
    expect(store.text('crm/customers.csv')).toBe(HEADER + row('C3'));
    const kept = store.history.get('crm/customers.csv')!.map((v) => v.body?.toString('utf8'));
    expect(kept).toEqual([HEADER + row('C2') + row('C3'), HEADER + row('C3')]);
    expect(store.everyVersionText().filter((text) => text.includes('C1'))).toEqual([]);
    expect(outcome.io).toMatchObject({ versionsRead: 3, versionsDeleted: 2 });
    expect(outcome.record.stores).toContainEqual({
      store: 'landing: non-current versions',
      action: 'deleted versions holding the subject',
      objects: 2,
      rows: 2,
      status: 'done',
    });
  });

  it('clears every old version of a file that only ever held the subject', async () => {
    // Prepare
    const store = new VersionedMemoryStore();
    await store.put('crm/customers-c1.csv', HEADER + row('C1'));
    await store.put('crm/customers-c1.csv', HEADER + row('C1') + row('C1'));

    // Act
    const outcome = await erase(store, 'C1');

    // Assess: only the rewrite (its header) is left.
    expect(store.history.get('crm/customers-c1.csv')!.map((v) => v.body?.toString('utf8'))).toEqual([HEADER]);
    expect(outcome.io.versionsDeleted).toBe(2);
  });
});

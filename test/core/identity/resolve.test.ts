import { describe, expect, it } from 'vitest';
import { nameFromFull, nameOf } from '../../../lambdas/core/identity/names';
import { type IdentityRecord, recordKey, resolveIdentities } from '../../../lambdas/core/identity/resolve';

/** A CRM record: `crm('C1', 'Masha Kelley', { email, phone, postcode })`. */
function crm(
  id: string,
  fullName: string,
  contact: Partial<IdentityRecord> = {},
  createdAt = 0,
): IdentityRecord {
  const [first, ...last] = fullName.split(' ');
  return {
    source: 'crm',
    sourceId: id,
    name: nameOf(first!, last.join(' ')),
    displayName: { first: first!, last: last.join(' ') },
    createdAt,
    ...contact,
  };
}

function receipt(id: string, fullName: string, contact: Partial<IdentityRecord> = {}): IdentityRecord {
  return { source: 'store', sourceId: id, name: nameFromFull(fullName), ...contact };
}

function device(id: string, ...signedInAs: string[]): IdentityRecord {
  return { source: 'web', sourceId: id, signedInAs };
}

/** The customer ID of each record, by record key. */
function customersOf(records: IdentityRecord[], options = {}) {
  const resolution = resolveIdentities(records, options);
  const byKey = Object.fromEntries(records.map((r, i) => [recordKey(r), resolution.customerIds[i]]));
  return { byKey, resolution };
}

describe('resolveIdentities', () => {
  it('merges CRM records that share a normalised email when the names agree (a typo allowed)', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Zoe Mendoza', { email: 'zoe@example.org' }, 1),
      crm('C9', 'Zoe Mrndoza', { email: 'zoe@example.org' }, 2),
    ]);

    expect(byKey['crm:C9']).toBe('C1');
    expect(resolution.merges.email).toBe(1);
  });

  it('merges records that share an E.164 phone when the names agree', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Eleanor Butler', { phone: '+12015550142' }),
      receipt('R1', 'ELEANOR BUTLER', { phone: '+12015550142' }),
    ]);

    expect(byKey['store:R1']).toBe('C1');
    expect(resolution.merges.phone).toBe(1);
  });

  it('links a receipt with only an initial to the customer with that initial and last name', () => {
    const { byKey } = customersOf([
      crm('C1', 'Masha Kelley', { email: 'mk@example.com' }),
      receipt('R1', 'M. Kelley', { email: 'mk@example.com' }),
    ]);

    expect(byKey['store:R1']).toBe('C1');
  });

  it('links a web device to the customer it signed in as', () => {
    const { byKey, resolution } = customersOf([crm('C1', 'Jacob Castillo'), device('anon-1', 'C1', 'C1')]);

    expect(byKey['web:anon-1']).toBe('C1');
    expect(resolution.merges['signed-in']).toBe(1);
  });

  it('links a device used by several customers to none of them', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'A Bee'),
      crm('C2', 'C Dee'),
      device('anon-1', 'C1', 'C2'),
    ]);

    expect(byKey['web:anon-1']).not.toBe('C1');
    expect(byKey['web:anon-1']).not.toBe('C2');
    expect(resolution.sharedDevices).toBe(1);
  });

  it('joins records transitively: email links one pair, phone the next, sign-in the third', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Zoe Mendoza', { email: 'zoe@example.org', phone: '+13725550180' }, 1),
      crm('C7', 'Zoe Mendoza', { email: 'zoe@example.org', phone: '+15555550100' }, 2),
      receipt('R1', 'Zoe Mendoza', { phone: '+15555550100' }),
      device('anon-7', 'C7'),
    ]);

    expect(new Set(Object.values(byKey))).toEqual(new Set(['C1']));
    expect(resolution.members.get('C1')).toHaveLength(4);
  });

  it('never merges two people who share a household email but differ in name and phone', () => {
    const { byKey } = customersOf([
      crm('C1', 'Masha Kelley', { email: 'home@example.net', phone: '+12125550101', postcode: '10001' }),
      crm('C2', 'John Kelley', { email: 'home@example.net', phone: '+12125550102', postcode: '10001' }),
    ]);

    expect(byKey['crm:C1']).toBe('C1');
    expect(byKey['crm:C2']).toBe('C2');
  });

  it('decides a receipt on a household email by its phone', () => {
    const { byKey } = customersOf([
      crm('C1', 'Masha Kelley', { email: 'home@example.net', phone: '+12125550101' }),
      crm('C2', 'Mark Kelley', { email: 'home@example.net', phone: '+12125550102' }),
      receipt('R1', 'M. Kelley', { email: 'home@example.net', phone: '+12125550102' }),
    ]);

    expect(byKey['store:R1']).toBe('C2');
  });

  it('sends a receipt that fits two customers equally to review instead of guessing', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Masha Kelley', { email: 'home@example.net' }),
      crm('C2', 'Mark Kelley', { email: 'home@example.net' }),
      receipt('R1', 'M. Kelley', { email: 'home@example.net' }),
    ]);

    expect(byKey['store:R1']).not.toBe('C1');
    expect(byKey['store:R1']).not.toBe('C2');
    expect(resolution.review.map((p) => p.evidence)).toEqual([
      'a receipt that fits several customers',
      'a receipt that fits several customers',
    ]);
  });

  it('never merges two CRM customers on a shared phone alone when the names differ', () => {
    const { byKey } = customersOf([
      crm('C1', 'Ann Smith', { phone: '+12125550101' }),
      crm('C2', 'Bob Jones', { phone: '+12125550101' }),
    ]);

    expect(byKey['crm:C2']).toBe('C2');
  });

  it('merges records that share no key when names are near-identical and the postcode matches', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Eleanor Butler', { postcode: '62426', email: 'eb@example.org' }),
      receipt('R1', 'Eleanor Butler', { postcode: '62426' }),
    ]);

    expect(byKey['store:R1']).toBe('C1');
    expect(resolution.merges.probabilistic).toBe(1);
  });

  it('sends similar names with thin evidence to review, with the evidence, instead of merging', () => {
    const { byKey, resolution } = customersOf([
      crm('C1', 'Eleanor Butler', { postcode: '62426', email: 'eb@example.org' }),
      crm('C2', 'Eleanor Butler', { postcode: '62426', email: 'other@example.org' }),
    ]);

    expect(byKey['crm:C2']).toBe('C2');
    expect(resolution.review).toEqual([
      expect.objectContaining({ evidence: 'similar names (postcode)', similarity: 1 }),
    ]);
  });

  it('names a merged customer after its oldest CRM record', () => {
    const { byKey } = customersOf([
      crm('C9', 'Zoe Mendoza', { email: 'zoe@example.org' }, 200),
      crm('C1', 'Zoe Mendoza', { email: 'zoe@example.org' }, 100),
    ]);

    expect(byKey['crm:C9']).toBe('C1');
  });

  it('keeps existing customer IDs when new data arrives, even where the oldest record would name it otherwise', () => {
    const first = [
      receipt('R1', 'Ann Lee', { phone: '+12125550101' }),
      receipt('R2', 'Ann Lee', { phone: '+12125550101' }),
    ];
    const before = customersOf(first);
    const previous = new Map(Object.entries(before.byKey).map(([key, id]) => [key, id!]));

    const after = customersOf(
      [
        ...first,
        crm('C5', 'Ann Lee', { phone: '+12125550101' }),
        receipt('R3', 'Bo Wu', { phone: '+12125550199' }),
      ],
      { previous },
    );

    expect(after.byKey['store:R1']).toBe(before.byKey['store:R1']);
    expect(after.byKey['crm:C5']).toBe(before.byKey['store:R1']);
    expect(after.byKey['store:R3']).not.toBe(before.byKey['store:R1']);
  });

  it('gives a customer without a CRM record the same derived ID on every run', () => {
    const records = [receipt('R1', 'Ann Lee', { phone: '+12125550101' })];

    const [a, b] = [customersOf(records).byKey['store:R1'], customersOf(records).byKey['store:R1']];

    expect(a).toMatch(/^X[0-9a-f]{16}$/);
    expect(b).toBe(a);
  });

  it('ignores a contact shared by more records than a person has, as a placeholder', () => {
    const records = Array.from({ length: 30 }, (_, i) =>
      crm(`C${i}`, 'Pat Doe', { email: 'none@store.example' }),
    );

    const { resolution } = customersOf(records);

    expect(resolution.members.size).toBe(30);
    expect(resolution.genericContacts).toBe(1);
  });
});

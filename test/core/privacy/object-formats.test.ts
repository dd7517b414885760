import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';
import { csvRecords } from '../../../lambdas/core/privacy/csv-records';
import { SubjectMatcher } from '../../../lambdas/core/privacy/matcher';
import { type FoundRecord, passObject } from '../../../lambdas/core/privacy/object-formats';
import type { SubjectIdentifiers } from '../../../lambdas/core/privacy/resolve-subject';
import { parseSubject } from '../../../lambdas/core/privacy/subject';

const subject = (
  ids: Partial<Record<'customerIds' | 'receiptIds' | 'anonymousIds' | 'emails' | 'phones', string[]>>,
): SubjectIdentifiers => ({
  customerIds: new Set(ids.customerIds),
  receiptIds: new Set(ids.receiptIds),
  anonymousIds: new Set(ids.anonymousIds),
  emails: new Set(ids.emails),
  phones: new Set(ids.phones),
  via: 'identity-map',
  profiles: 1,
  sharedContacts: 0,
});

async function rewrite(key: string, body: string, matcher: SubjectMatcher) {
  const store = new MemoryObjectStore();
  await store.put(key, body);
  const found: FoundRecord[] = [];
  const pass = await passObject(store, key, matcher, (f) => found.push(f), { store, key: 'out' });
  return { pass, found, text: store.text('out') };
}

describe('csvRecords', () => {
  it('splits records without changing a byte, quoted line breaks and CRLF included', async () => {
    // Prepare
    const text = '\ufeffid,note\r\nC1,"two\r\nlines"\r\nC2,"say ""hi"""\r\nC3,last';

    // Act
    const records = [];
    for await (const record of csvRecords([Buffer.from(text.slice(0, 9)), Buffer.from(text.slice(9))]))
      records.push(record);

    // Assess
    expect(Buffer.concat(records.map((r) => r.raw)).toString('utf8')).toBe(text);
    expect(records.map((r) => r.fields)).toEqual([
      ['id', 'note'],
      ['C1', 'two\r\nlines'],
      ['C2', 'say "hi"'],
      ['C3', 'last'],
    ]);
  });
});

describe('passObject', () => {
  const matcher = new SubjectMatcher([
    subject({ customerIds: ['C1'], emails: ['ann@example.com'], phones: ['+12125550142'] }),
  ]);

  it('drops the CSV rows holding the subject in any spelling and copies the others byte for byte', async () => {
    const body =
      'id,email,phone\r\nC2,"b@x.org",\r\nC9, Ann@Example.com ,\r\nC3,,(212) 555-0142\r\nC1,,\r\nC4,"a,b",1\r\n';
    const { pass, text, found } = await rewrite('a.csv', body, matcher);
    expect(text).toBe('id,email,phone\r\nC2,"b@x.org",\r\nC4,"a,b",1\r\n');
    expect(pass).toMatchObject({ removed: 3, kept: 2 });
    expect(found[0]).toEqual({ subject: 0, record: { id: 'C9', email: ' Ann@Example.com ', phone: '' } });
  });

  it('removes the subject from a JSON lines list and drops a JSON line that is theirs', async () => {
    const body =
      '{"output":{"usersList":["C2","C1"]}}\n{"userId":"C1","type":"identify"}\n{"userId":"C2",  "type":"identify"}\n';
    const { pass, text } = await rewrite('a.json.out', body, matcher);
    expect(text).toBe('{"output":{"usersList":["C2"]}}\n{"userId":"C2",  "type":"identify"}\n');
    expect(pass.removed).toBe(2);
  });

  it('rewrites a JSON document without the subject, keeping its indentation', async () => {
    const body =
      JSON.stringify({ audiences: [{ user: 'C1' }, { user: 'C2' }], members: ['C1', 'C3'] }, null, 2) + '\n';
    const { text } = await rewrite('m.json', body, matcher);
    expect(text).toBe(JSON.stringify({ audiences: [{ user: 'C2' }], members: ['C3'] }, null, 2) + '\n');
  });

  it('finds nothing in an object that does not hold the subject and copies it unchanged', async () => {
    const { pass, text } = await rewrite('b.csv', 'id\nC2\n', matcher);
    expect(pass.removed).toBe(0);
    expect(text).toBe('id\nC2\n');
  });
});

describe('parseSubject', () => {
  it('normalises an email, a phone and a customer ID as ingestion does', () => {
    expect(parseSubject(' Ann@Example.COM ')).toEqual({ kind: 'email', value: 'ann@example.com' });
    expect(parseSubject('(212) 555-0142')).toEqual({ kind: 'phone', value: '+12125550142' });
    expect(parseSubject('C00000042')).toEqual({ kind: 'customer_id', value: 'C00000042' });
    expect(() => parseSubject('ann@')).toThrow('not one');
  });
});

import { IDENTITY_MAP_KEY, parquetRows, PROFILES_KEY } from '../identity/identity-run';
import { UserFacingError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import type { Subject } from './subject';

/**
 * Every identifier of one person across the sources: what erasure removes and access collects.
 * Personalize's USER_ID, Pinpoint's User.UserId and the score files' customer_id are customer IDs.
 */
export interface SubjectIdentifiers {
  /** The profile's customer ID and every CRM record's customer_id merged into it. */
  readonly customerIds: Set<string>;
  /** Store receipts linked to the person. */
  readonly receiptIds: Set<string>;
  /** Web devices (anonymous IDs) linked to the person. */
  readonly anonymousIds: Set<string>;
  /** Normalised emails and E.164 phones; contacts another profile shares are left out. */
  readonly emails: Set<string>;
  readonly phones: Set<string>;
  /** How the person was found: through the identity map, or (no map yet) on the named value only. */
  readonly via: 'identity-map' | 'direct';
  /** Profiles found (0: nobody known by that value; the request still looks for it). */
  profiles: number;
  /** Contacts left out because another profile has them too (a household's shared email). */
  sharedContacts: number;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function direct(subject: Subject, via: SubjectIdentifiers['via']): SubjectIdentifiers {
  return {
    customerIds: new Set(subject.kind === 'customer_id' ? [subject.value] : []),
    receiptIds: new Set(),
    anonymousIds: new Set(),
    emails: new Set(subject.kind === 'email' ? [subject.value] : []),
    phones: new Set(subject.kind === 'phone' ? [subject.value] : []),
    via,
    profiles: 0,
    sharedContacts: 0,
  };
}

/**
 * Resolves subjects through the identity map (`trusted/identity/`) to every source ID: subject →
 * profile (by customer ID, or by a contact on the profile or on any CRM record or receipt) → every
 * record the map links to that profile. Without a map (identity has not run), a subject's own value
 * is all there is to match on. Each table is read once for all the subjects.
 */
export async function resolveSubjects(
  trusted: ObjectStore,
  subjects: readonly Subject[],
): Promise<SubjectIdentifiers[]> {
  if (!(await trusted.head(IDENTITY_MAP_KEY)) || !(await trusted.head(PROFILES_KEY))) {
    return subjects.map((subject) => direct(subject, 'direct'));
  }
  const results = subjects.map((subject) => direct(subject, 'identity-map'));
  /** Subject index -> the profiles it names. */
  const profilesOf = subjects.map(() => new Set<string>());
  const byValue = {
    customer_id: new Map<string, number[]>(),
    email: new Map<string, number[]>(),
    phone: new Map<string, number[]>(),
  };
  subjects.forEach((subject, index) => push(byValue[subject.kind], subject.value, index));

  // Pass 1: the profiles each subject names; how many profiles hold each contact.
  const holders = { email: new Map<string, number>(), phone: new Map<string, number>() };
  const contactsOf = new Map<string, { email?: string; phone?: string }>();
  for await (const row of parquetRows(trusted, PROFILES_KEY, ['customer_id', 'email', 'phone'])) {
    const id = String(row['customer_id']);
    for (const index of byValue.customer_id.get(id) ?? []) profilesOf[index]!.add(id);
    for (const kind of ['email', 'phone'] as const) {
      const value = str(row[kind]);
      if (!value) continue;
      holders[kind].set(value, (holders[kind].get(value) ?? 0) + 1);
      for (const index of byValue[kind].get(value) ?? []) profilesOf[index]!.add(id);
    }
    contactsOf.set(id, { email: str(row['email']), phone: str(row['phone']) });
  }
  // A receipt or a second CRM record may carry a contact that is not the profile's best one.
  const recordSubjects = await recordsWithContact(trusted, byValue);
  for (const index of byValue.customer_id.values())
    for (const i of index) push(recordSubjects, `crm:${subjects[i]!.value}`, i);

  // Pass 2: the map's records of those profiles, and the profiles of records named by a contact.
  const wanted = new Map<string, number[]>();
  for await (const row of parquetRows(trusted, IDENTITY_MAP_KEY, ['source', 'source_id', 'customer_id'])) {
    for (const index of recordSubjects.get(`${String(row['source'])}:${String(row['source_id'])}`) ?? []) {
      profilesOf[index]!.add(String(row['customer_id']));
    }
  }
  profilesOf.forEach((profiles, index) => {
    if (profiles.size > 1) {
      const kind = subjects[index]!.kind;
      throw new UserFacingError(
        `subject ${index + 1}: the ${kind === 'email' ? 'email address' : kind === 'phone' ? 'phone number' : 'customer ID'} belongs to ${profiles.size} customer profiles (a shared household contact?); name the person by customer ID instead`,
      );
    }
    for (const profile of profiles) push(wanted, profile, index);
    results[index]!.profiles = profiles.size;
  });
  for await (const row of parquetRows(trusted, IDENTITY_MAP_KEY, ['source', 'source_id', 'customer_id'])) {
    const indexes = wanted.get(String(row['customer_id']));
    if (!indexes) continue;
    const id = String(row['source_id']);
    for (const index of indexes) {
      const result = results[index]!;
      if (row['source'] === 'crm') result.customerIds.add(id);
      else if (row['source'] === 'store') result.receiptIds.add(id);
      else if (row['source'] === 'web') result.anonymousIds.add(id);
    }
  }
  for (const [profile, indexes] of wanted) {
    const contacts = contactsOf.get(profile);
    for (const index of indexes) {
      const result = results[index]!;
      result.customerIds.add(profile);
      for (const kind of ['email', 'phone'] as const) {
        const value = contacts?.[kind];
        if (!value) continue;
        if ((holders[kind].get(value) ?? 0) > 1) result.sharedContacts++;
        else (kind === 'email' ? result.emails : result.phones).add(value);
      }
    }
  }
  return results;
}

/** `crm:<customer_id>` / `store:<receipt_id>` -> subjects whose contact the trusted record carries. */
async function recordsWithContact(
  trusted: ObjectStore,
  byValue: { email: Map<string, number[]>; phone: Map<string, number[]> },
): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  if (byValue.email.size === 0 && byValue.phone.size === 0) return found;
  const sources = [
    ['crm', 'trusted/crm/customers/', 'customer_id'],
    ['store', 'trusted/store/sales/', 'receipt_id'],
  ] as const;
  for (const [source, prefix, idColumn] of sources) {
    for await (const row of parquetRows(trusted, prefix, [idColumn, 'email', 'phone'])) {
      for (const kind of ['email', 'phone'] as const) {
        const value = str(row[kind]);
        for (const index of (value && byValue[kind].get(value)) || [])
          push(found, `${source}:${String(row[idColumn])}`, index);
      }
    }
  }
  return found;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

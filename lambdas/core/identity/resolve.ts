import { hashId } from '../activation/id-bytes';
import { compareNames, type NameMatch, nameSimilarity, type PersonName } from './names';
import { UnionFind } from './union-find';

/** Where an identity record comes from. */
export type IdentitySource = 'crm' | 'store' | 'web';

/** One record that may be a person: a CRM row, a store receipt, a web device. */
export interface IdentityRecord {
  readonly source: IdentitySource;
  /** customer_id (crm), receipt_id (store), anonymous_id (web). */
  readonly sourceId: string;
  /** Web devices: the customer IDs they signed in as. */
  readonly signedInAs?: readonly string[];
  readonly name?: PersonName;
  /** The name as written, for profiles. */
  readonly displayName?: { readonly first: string; readonly last: string };
  /** Normalised by ingestion: lower-case email, E.164 phone. */
  readonly email?: string;
  readonly phone?: string;
  readonly postcode?: string;
  /** When the record was made (epoch ms): the oldest CRM record's ID names the profile. */
  readonly createdAt?: number;
}

export const MERGE_RULES = ['email', 'phone', 'signed-in', 'probabilistic'] as const;
export type MergeRule = (typeof MERGE_RULES)[number];

/** A pair a person should decide: similar, but not sure enough to merge. */
export interface ReviewPair {
  readonly a: number;
  readonly b: number;
  readonly similarity: number;
  readonly evidence: string;
}

export interface ResolveOptions {
  /** Last run's map, `source:source_id` -> customer_id: existing profiles keep their IDs. */
  readonly previous?: ReadonlyMap<string, string>;
  /** Name similarity (0–1) from which records sharing a postcode, phone or email local part merge. */
  readonly mergeThreshold?: number;
  /** Name similarity from which such a pair goes to review instead of being ignored. */
  readonly reviewThreshold?: number;
}

export interface Resolution {
  /** The customer ID of each record, by index. */
  readonly customerIds: readonly string[];
  /** The records of each customer ID, by index, in input order. */
  readonly members: ReadonlyMap<string, readonly number[]>;
  readonly merges: Readonly<Record<MergeRule, number>>;
  readonly review: readonly ReviewPair[];
  /** Devices seen signed in as several customers (a shared computer): linked to none. */
  readonly sharedDevices: number;
  /** Emails or phones on more records than MAX_GROUP (a till's placeholder): ignored as keys. */
  readonly genericContacts: number;
}

/** A contact on more records than this is a placeholder (`none@store.com`), not evidence. */
export const MAX_GROUP = 25;
/** Blocks larger than this are cut, so probabilistic matching never compares all pairs. */
export const MAX_BLOCK = 200;

export const recordKey = (record: IdentityRecord): string => `${record.source}:${record.sourceId}`;

/**
 * Resolves records into customers: deterministic rules first (a shared email or phone, when the
 * names agree; a web device signed in), joined transitively with union-find; then probabilistic
 * matching on name similarity within blocks of cheap keys. A shared contact with a different name
 * never merges (households); ties and near misses go to review.
 */
export function resolveIdentities(
  records: readonly IdentityRecord[],
  options: ResolveOptions = {},
): Resolution {
  const resolver = new Resolver(records, options);
  resolver.linkCrmByContact();
  resolver.linkReceipts();
  resolver.linkDevices();
  resolver.linkProbabilistically();
  return resolver.result();
}

class Resolver {
  private readonly sets: UnionFind;
  private readonly merges: Record<MergeRule, number> = {
    email: 0,
    phone: 0,
    'signed-in': 0,
    probabilistic: 0,
  };
  private readonly review = new Map<string, ReviewPair>();
  private readonly crmByContact = new Map<string, number[]>();
  private readonly crmById = new Map<string, number>();
  /** 1 at the root of every set that holds a CRM record. */
  private readonly hasCrm: Uint8Array;
  private readonly mergeThreshold: number;
  private readonly reviewThreshold: number;
  private sharedDevices = 0;
  private genericContacts = 0;

  constructor(
    private readonly records: readonly IdentityRecord[],
    private readonly options: ResolveOptions,
  ) {
    this.sets = new UnionFind(records.length);
    this.hasCrm = new Uint8Array(records.length);
    this.mergeThreshold = options.mergeThreshold ?? 0.95;
    this.reviewThreshold = options.reviewThreshold ?? 0.85;
    records.forEach((record, index) => {
      if (record.source !== 'crm') return;
      this.hasCrm[index] = 1;
      this.crmById.set(record.sourceId, index);
      for (const key of contactKeys(record)) push(this.crmByContact, key, index);
    });
    for (const [key, group] of this.crmByContact) {
      if (group.length > MAX_GROUP) {
        this.crmByContact.delete(key);
        this.genericContacts++;
      }
    }
  }

  /** CRM records sharing an email or phone are one person only when their names agree. */
  linkCrmByContact(): void {
    for (const [key, group] of this.crmByContact) {
      for (let i = 0; i < group.length; i++) {
        for (let j = i + 1; j < group.length; j++) {
          const [a, b] = [group[i]!, group[j]!];
          const match = compareNames(this.records[a]!.name, this.records[b]!.name);
          if (match === 'same' || match === 'compatible') this.union(a, b, ruleOf(key));
          else this.considerReview(a, b, `shared ${ruleOf(key)}, names ${match}`);
        }
      }
    }
  }

  /**
   * A receipt joins the CRM customer whose email or phone it carries and whose name agrees. When
   * several customers fit (a household email), the one matching more keys wins; a tie goes to review.
   */
  linkReceipts(): void {
    const unmatched: number[] = [];
    this.records.forEach((record, index) => {
      if (record.source !== 'store') return;
      const candidates = new Map<
        number,
        { keys: Set<string>; match: NameMatch; similarity: number; member: number }
      >();
      for (const key of contactKeys(record)) {
        for (const member of this.crmByContact.get(key) ?? []) {
          const root = this.sets.find(member);
          const match = compareNames(record.name, this.records[member]!.name);
          const similarity = nameSimilarity(record.name, this.records[member]!.name);
          const seen = candidates.get(root);
          if (!seen) candidates.set(root, { keys: new Set([ruleOf(key)]), match, similarity, member });
          else {
            seen.keys.add(ruleOf(key));
            if (similarity > seen.similarity) Object.assign(seen, { match, similarity, member });
          }
        }
      }
      const fitting = [...candidates.values()]
        .filter((c) => c.match !== 'different')
        .map((c) => ({ ...c, score: c.keys.size * 10 + MATCH_RANK[c.match] * 2 + c.similarity }))
        .sort((x, y) => y.score - x.score);
      const [best, second] = fitting;
      if (!best) {
        for (const c of candidates.values())
          this.considerReview(index, c.member, `shared contact, names ${c.match}`);
        if (candidates.size === 0) unmatched.push(index);
        return;
      }
      const nameless = best.match === 'unknown' && fitting.length > 1;
      if (nameless || (second && second.score === best.score)) {
        for (const c of fitting)
          this.considerReview(index, c.member, 'a receipt that fits several customers', true);
        return;
      }
      this.union(index, best.member, best.keys.has('email') ? 'email' : 'phone');
    });
    this.linkReceiptsAmongThemselves(unmatched);
  }

  /** Receipts of people not in the CRM still form one customer per person. */
  private linkReceiptsAmongThemselves(receipts: readonly number[]): void {
    const groups = new Map<string, number[]>();
    for (const index of receipts)
      for (const key of contactKeys(this.records[index]!)) push(groups, key, index);
    for (const [key, group] of groups) {
      if (group.length > MAX_GROUP) continue;
      for (let i = 1; i < group.length; i++) {
        const match = compareNames(this.records[group[0]!]!.name, this.records[group[i]!]!.name);
        if (match === 'same' || match === 'compatible') this.union(group[0]!, group[i]!, ruleOf(key));
      }
    }
  }

  /** A device that signed in as one customer is that customer's; one used by several is nobody's. */
  linkDevices(): void {
    this.records.forEach((record, index) => {
      if (record.source !== 'web' || !record.signedInAs?.length) return;
      if (new Set(record.signedInAs).size > 1) {
        this.sharedDevices++;
        return;
      }
      const customer = this.crmById.get(record.signedInAs[0]!);
      if (customer !== undefined) this.union(index, customer, 'signed-in');
    });
  }

  /**
   * Records that share no key: within blocks (postcode + first letter of the last name; email local
   * part), names at least `mergeThreshold` alike with supporting evidence merge; `reviewThreshold`
   * and above go to review. Two customers that each have a CRM ID need two pieces of evidence.
   */
  linkProbabilistically(): void {
    const blocks = new Map<string, number[]>();
    this.records.forEach((record, index) => {
      if (!record.name?.last) return;
      if (record.postcode) push(blocks, `pc:${record.postcode}:${record.name.last[0]}`, index);
      const local = record.email?.split('@')[0];
      if (local && local.length >= 4) push(blocks, `el:${local}`, index);
    });
    for (const block of blocks.values()) {
      const members = block.slice(0, MAX_BLOCK);
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) this.comparePair(members[i]!, members[j]!);
      }
    }
  }

  private comparePair(a: number, b: number): void {
    if (this.sets.connected(a, b)) return;
    const [x, y] = [this.records[a]!, this.records[b]!];
    if (compareNames(x.name, y.name) === 'different') return;
    const similarity = nameSimilarity(x.name, y.name);
    if (similarity < this.reviewThreshold) return;
    const evidence = [
      x.postcode && x.postcode === y.postcode ? 'postcode' : '',
      x.phone && x.phone === y.phone ? 'phone' : '',
      x.email && y.email && x.email.split('@')[0] === y.email.split('@')[0] ? 'email local part' : '',
    ].filter(Boolean);
    const needed = this.bothHaveCrmIds(a, b) ? 2 : 1;
    if (similarity >= this.mergeThreshold && evidence.length >= needed) this.union(a, b, 'probabilistic');
    else this.considerReview(a, b, `similar names (${evidence.join(', ') || 'no other evidence'})`, true);
  }

  private bothHaveCrmIds(a: number, b: number): boolean {
    return this.hasCrm[this.sets.find(a)] === 1 && this.hasCrm[this.sets.find(b)] === 1;
  }

  private union(a: number, b: number, rule: MergeRule): void {
    const crm = this.hasCrm[this.sets.find(a)]! | this.hasCrm[this.sets.find(b)]!;
    if (!this.sets.union(a, b)) return;
    this.merges[rule]++;
    this.hasCrm[this.sets.find(a)] = crm;
  }

  private considerReview(a: number, b: number, evidence: string, always = false): void {
    if (this.sets.connected(a, b)) return;
    const similarity = nameSimilarity(this.records[a]!.name, this.records[b]!.name);
    if (!always && similarity < this.reviewThreshold) return;
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (!this.review.has(key)) this.review.set(key, { a, b, similarity, evidence });
  }

  result(): Resolution {
    const customerIds = assignCustomerIds(this.records, this.sets, this.options.previous);
    const members = new Map<string, number[]>();
    customerIds.forEach((id, index) => push(members, id, index));
    // A pair that ended up merged through other records needs no decision.
    const review = [...this.review.values()].filter((pair) => customerIds[pair.a] !== customerIds[pair.b]);
    return {
      customerIds,
      members,
      merges: this.merges,
      review,
      sharedDevices: this.sharedDevices,
      genericContacts: this.genericContacts,
    };
  }
}

const MATCH_RANK: Record<NameMatch, number> = { same: 2, compatible: 1, unknown: 0, different: -1 };

function contactKeys(record: IdentityRecord): string[] {
  const keys: string[] = [];
  if (record.email) keys.push(`email:${record.email}`);
  if (record.phone) keys.push(`phone:${record.phone}`);
  return keys;
}

function ruleOf(key: string): 'email' | 'phone' {
  return key.startsWith('email:') ? 'email' : 'phone';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * One ID per customer, stable across runs: the ID most of its records had last run, unless a
 * bigger customer already took it; otherwise its oldest CRM record's customer_id; otherwise an ID
 * derived from its first record, so the same records always get the same ID.
 */
function assignCustomerIds(
  records: readonly IdentityRecord[],
  sets: UnionFind,
  previous: ReadonlyMap<string, string> | undefined,
): string[] {
  const roots = new Map<number, number[]>();
  records.forEach((_, index) => push(roots, sets.find(index), index));
  const taken = new Set<string>();
  const idOfRoot = new Map<number, string>();
  const bySize = [...roots.entries()].sort((x, y) => y[1].length - x[1].length || x[1][0]! - y[1][0]!);
  for (const [root, members] of bySize) {
    const earlier = previous
      ? mostCommon(members.map((m) => previous.get(recordKey(records[m]!))))
      : undefined;
    const crm = members
      .filter((m) => records[m]!.source === 'crm')
      .sort(
        (x, y) =>
          (records[x]!.createdAt ?? Infinity) - (records[y]!.createdAt ?? Infinity) ||
          cmp(records[x]!.sourceId, records[y]!.sourceId),
      );
    const choices = [earlier, ...crm.map((m) => records[m]!.sourceId), derivedId(records[members[0]!]!)];
    const id = choices.find((choice): choice is string => choice !== undefined && !taken.has(choice))!;
    taken.add(id);
    idOfRoot.set(root, id);
  }
  return records.map((_, index) => idOfRoot.get(sets.find(index))!);
}

function mostCommon(values: readonly (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | undefined;
  for (const [value, count] of counts) {
    if (best === undefined || count > counts.get(best)! || (count === counts.get(best)! && value < best))
      best = value;
  }
  return best;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `X` and 16 hex digits of a 64-bit hash of the record's key: the same record, the same ID. */
function derivedId(record: IdentityRecord): string {
  const [h1, h2] = hashId(recordKey(record));
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `X${hex(h1)}${hex(h2)}`;
}

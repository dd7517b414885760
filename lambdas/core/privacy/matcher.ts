import { DEFAULT_NORMALISE_OPTIONS, type NormaliseOptions, phoneType } from '../ingest/column-types';
import type { SubjectIdentifiers } from './resolve-subject';

/**
 * Tells whether one cell holds one of the subjects' identifiers, and whose: an ID as is (also in
 * the `source:id` form of identity's review file), an email however it is cased, a phone however it
 * is written. The normalisers are ingestion's, so a raw landing file matches as the trusted zone does.
 */
export class SubjectMatcher {
  private readonly ids = new Map<string, number>();
  private readonly emails = new Map<string, number>();
  private readonly phones = new Map<string, number>();
  /** Last seven digits of each phone: most numeric cells (amounts, timestamps) stop here, unparsed. */
  private readonly phoneTails = new Set<string>();
  private readonly phone: (raw: string) => string | number | Date | undefined;

  constructor(
    subjects: readonly SubjectIdentifiers[],
    options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS,
  ) {
    subjects.forEach((subject, index) => {
      for (const set of [subject.customerIds, subject.receiptIds, subject.anonymousIds])
        for (const id of set) this.ids.set(id, index);
      for (const email of subject.emails) this.emails.set(email, index);
      for (const phone of subject.phones) {
        this.phones.set(phone, index);
        this.phoneTails.add(phone.replace(/\D/g, '').slice(-7));
      }
    });
    this.phone = phoneType(options).fast!;
  }

  /** The index of the subject the cell belongs to, or undefined. */
  match(cell: string): number | undefined {
    if (cell === '') return undefined;
    const id = this.ids.get(cell);
    if (id !== undefined) return id;
    const colon = cell.indexOf(':');
    if (colon > 0) {
      const sourced = this.ids.get(cell.slice(colon + 1));
      if (sourced !== undefined && /^(crm|store|web)$/.test(cell.slice(0, colon))) return sourced;
    }
    if (this.emails.size > 0 && cell.includes('@')) return this.emails.get(cell.trim().toLowerCase());
    if (this.phones.size > 0 && cell.length >= 7 && cell.length <= 30) {
      const digits = cell.replace(/\D/g, '');
      if (digits.length >= 7 && this.phoneTails.has(digits.slice(-7))) {
        const e164 = this.phone(cell.trim().replace(/^'/, ''));
        if (typeof e164 === 'string') return this.phones.get(e164);
      }
    }
    return undefined;
  }

  /**
   * The keys a key index is searched for (`matchKeysOf` of any cell this matcher matches gives one
   * of them): every ID, every email, and the seven-digit tail of every phone.
   */
  indexKeys(): string[] {
    return [...this.ids.keys(), ...this.emails.keys(), ...[...this.phoneTails].map((tail) => `tel:${tail}`)];
  }

  /** The first subject any of the cells belongs to. */
  matchAny(cells: Iterable<unknown>): number | undefined {
    for (const cell of cells) {
      if (typeof cell !== 'string') continue;
      const found = this.match(cell);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/**
 * The keys of one cell in a key index: a superset of what `SubjectMatcher.match` looks up for it, so
 * that a cell it matches always shares a key with `indexKeys()` (an ID as is or after `source:`, an
 * email lower-cased, a phone by its last seven digits). Kept beside `match`: change both together.
 */
export function matchKeysOf(cell: string): string[] {
  if (cell === '') return [];
  const keys = [cell];
  const colon = cell.indexOf(':');
  if (colon > 0) keys.push(cell.slice(colon + 1));
  if (cell.includes('@')) keys.push(cell.trim().toLowerCase());
  if (cell.length >= 7 && cell.length <= 30) {
    const digits = cell.replace(/\D/g, '');
    if (digits.length >= 7) keys.push(`tel:${digits.slice(-7)}`);
  }
  return keys;
}

import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { NormaliseOptions } from '../ingest/column-types';
import { UserFacingError } from '../errors';
import { type PrivacyAction, parseSubject, type Subject } from './subject';
import { type PrivacyStores, runPrivacyRequest } from './privacy-request';

/** The most rows one request file may hold: each access row is a pass over the lake. */
export const MAX_REQUEST_ROWS = 1000;

/** One valid row of a request file. */
export interface RequestRow {
  /** The 1-based line of the row in the file (the header is line 1). */
  readonly line: number;
  readonly action: PrivacyAction;
  readonly subject: Subject;
}

/** A row refused, by line number and reason: never the row's content (it is personal data). */
export interface RequestRowError {
  readonly line: number;
  readonly reason: string;
}

export interface RequestFile {
  readonly rows: readonly RequestRow[];
  readonly errors: readonly RequestRowError[];
}

const rowSchema = z.object({
  subject: z.string().trim().min(1, 'subject is empty'),
  action: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['access', 'erase'], 'action is not access or erase')),
});

/**
 * Reads a privacy request file: a CSV with a header holding `subject` (a customer ID, an email
 * address or a phone number) and `action` (`access` or `erase`), other columns ignored. Each bad
 * row is reported by line with its reason and the good rows still run; a file without the columns,
 * or without any row, is refused whole.
 */
export function parseRequestFile(text: string, normalise?: NormaliseOptions): RequestFile {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, relax_column_count: true });
  } catch (error) {
    throw new UserFacingError(`the request file is not valid CSV: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const subjectAt = header.indexOf('subject');
  const actionAt = header.indexOf('action');
  if (subjectAt < 0 || actionAt < 0)
    throw new UserFacingError('the request file needs a header with the columns subject and action');
  if (records.length < 2) throw new UserFacingError('the request file has no request row');
  if (records.length - 1 > MAX_REQUEST_ROWS)
    throw new UserFacingError(
      `the request file has ${records.length - 1} rows, more than ${MAX_REQUEST_ROWS}: split it`,
    );
  const rows: RequestRow[] = [];
  const errors: RequestRowError[] = [];
  records.slice(1).forEach((record, index) => {
    const line = index + 2;
    const parsed = rowSchema.safeParse({ subject: record[subjectAt] ?? '', action: record[actionAt] ?? '' });
    if (!parsed.success) {
      errors.push({ line, reason: parsed.error.issues.map((i) => i.message).join('; ') });
      return;
    }
    try {
      rows.push({ line, action: parsed.data.action, subject: parseSubject(parsed.data.subject, normalise) });
    } catch {
      // parseSubject's message quotes the value: keep the reason without it.
      errors.push({ line, reason: 'subject is not a customer ID, an email address or a phone number' });
    }
  });
  return { rows, errors };
}

/** Where an erasure leaves the USER_ID file Personalize's data deletion job reads. */
export const personalizeDeletionKeyOf = (requestId: string): string =>
  `privacy/deletions/${requestId}/personalize-users.csv`;

/** What one request file did: counts, keys and line numbers only, never personal data. */
export interface RequestFileOutcome {
  readonly requestId: string;
  readonly invalidRows: readonly RequestRowError[];
  /** One per access row: its own request (`<id>-l<line>`) and export keys, or why it failed. */
  readonly accesses: readonly {
    readonly line: number;
    readonly requestId: string;
    readonly export?: { readonly json: string; readonly markdown: string };
    readonly error?: string;
  }[];
  /** The erase rows, erased together as one request (`<id>-erase`). */
  readonly erasure?: {
    readonly requestId: string;
    readonly lines: readonly number[];
    readonly recordKey?: string;
    readonly rowsRemoved: number;
    readonly objectsRewritten: number;
    readonly objectsDeleted: number;
    /** The USER_ID CSV for Personalize (only when the subjects have customer IDs). */
    readonly personalizeUsersKey?: string;
    readonly customerIds: number;
    readonly error?: string;
  };
}

/** A failure's message for a report: a UserFacingError's own, else a generic one. */
const reasonOf = (error: unknown): string =>
  error instanceof UserFacingError ? error.message : 'the request failed; the details are in the logs';

/**
 * Runs every row of a request file: each access row as its own request (its own export), all
 * erase rows as one erasure pass over the lake. One row failing does not stop the others.
 */
export async function runRequestFile(
  stores: PrivacyStores,
  input: {
    readonly requestId: string;
    readonly text: string;
    readonly salt: Uint8Array;
    readonly now: () => Date;
    readonly normalise?: NormaliseOptions;
    /** Leave the erasure's record open: the cloud workflow closes it after the other stores. */
    readonly leaveErasureOpen?: boolean;
  },
): Promise<RequestFileOutcome> {
  const file = parseRequestFile(input.text, input.normalise);
  const base = { salt: input.salt, now: input.now, normalise: input.normalise };
  const accesses: RequestFileOutcome['accesses'][number][] = [];
  for (const row of file.rows.filter((r) => r.action === 'access')) {
    const requestId = `${input.requestId}-l${row.line}`;
    try {
      const outcome = await runPrivacyRequest(stores, {
        ...base,
        requestId,
        action: 'access',
        subjects: [row.subject],
      });
      accesses.push({ line: row.line, requestId, export: outcome.export });
    } catch (error) {
      accesses.push({ line: row.line, requestId, error: reasonOf(error) });
    }
  }
  const erase = file.rows.filter((r) => r.action === 'erase');
  let erasure: RequestFileOutcome['erasure'];
  if (erase.length > 0) {
    const requestId = `${input.requestId}-erase`;
    const lines = erase.map((r) => r.line);
    try {
      const outcome = await runPrivacyRequest(stores, {
        ...base,
        requestId,
        action: 'erase',
        subjects: erase.map((r) => r.subject),
        leaveOpen: input.leaveErasureOpen,
      });
      const customerIds = [...new Set(outcome.identifiers.flatMap((i) => [...i.customerIds]))].sort();
      let personalizeUsersKey: string | undefined;
      if (customerIds.length > 0) {
        personalizeUsersKey = personalizeDeletionKeyOf(requestId);
        // Personalize's deletion file: one USER_ID column, quoted as CSV wants.
        const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
        await stores.trusted.put(personalizeUsersKey, `USER_ID\n${customerIds.map(quote).join('\n')}\n`, {
          contentType: 'text/csv',
        });
      }
      erasure = {
        requestId,
        lines,
        recordKey: outcome.recordKey,
        rowsRemoved: outcome.record.stores
          .filter((s) => s.action === 'removed rows')
          .reduce((sum, s) => sum + (s.rows ?? 0), 0),
        objectsRewritten: outcome.io.rewritten,
        objectsDeleted: outcome.io.deleted,
        personalizeUsersKey,
        customerIds: customerIds.length,
      };
    } catch (error) {
      erasure = {
        requestId,
        lines,
        rowsRemoved: 0,
        objectsRewritten: 0,
        objectsDeleted: 0,
        customerIds: 0,
        error: reasonOf(error),
      };
    }
  }
  return { requestId: input.requestId, invalidRows: file.errors, accesses, erasure };
}

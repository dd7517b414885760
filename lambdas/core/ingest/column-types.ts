import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

/**
 * The types a dataset column can have. Each is a zod schema from the raw CSV text (never empty:
 * empty cells are handled before, as null or "required") to the normalised value, plus how the
 * value is stored in Parquet and declared in Glue, so one declaration serves validation, the
 * trusted-zone writer and the Athena tables.
 */
export type StorageType = 'string' | 'double' | 'bigint' | 'timestamp';

export interface ColumnType {
  /** A short name for docs and reports: `id`, `email`, `timestamp`, … */
  readonly name: string;
  /** From the raw cell to the normalised value. Its first issue's message is the row's reason. */
  readonly schema: z.ZodType<string | number | Date>;
  /** How the value is stored in the trusted zone and typed in Glue/Athena. */
  readonly storage: StorageType;
  /**
   * The same normalisation without zod's overhead, for the cells that are plainly valid (most of
   * them): returns the value `schema` would, or undefined to let `schema` decide and explain. A
   * test holds every fast path to its schema on a corpus of awkward values.
   */
  readonly fast?: (raw: string) => string | number | Date | undefined;
}

/** No whitespace at either end (what `.trim()` would remove). */
const trimmed = (raw: string) =>
  raw.length > 0 && raw.charCodeAt(0) > 32 && raw.charCodeAt(raw.length - 1) > 32 && raw.trim() === raw;

/** Options that change how values normalise. */
export interface NormaliseOptions {
  /** Region for phone numbers written without a country code. */
  readonly defaultRegion: CountryCode;
}

/** Distinct phone spellings remembered per phone column. */
const PHONE_CACHE = 100_000;

export const DEFAULT_NORMALISE_OPTIONS: NormaliseOptions = { defaultRegion: 'US' };

/** An identifier kept as text, up to `maxLength` characters (Personalize allows 256 for IDs). */
export function idType(maxLength = 256): ColumnType {
  return {
    name: 'id',
    storage: 'string',
    schema: z
      .string()
      .trim()
      .min(1, 'is blank')
      .max(maxLength, `is longer than ${maxLength} characters`)
      .refine((value) => !/[\r\n]/.test(value), 'holds a line break'),
    fast: (raw) => (raw.length <= maxLength && trimmed(raw) && !/[\r\n]/.test(raw) ? raw : undefined),
  };
}

/** Free text up to `maxLength` characters. */
export function textType(maxLength = 1000): ColumnType {
  return {
    name: 'text',
    storage: 'string',
    schema: z.string().trim().max(maxLength, `is longer than ${maxLength} characters`),
    fast: (raw) => (raw.length <= maxLength && trimmed(raw) ? raw : undefined),
  };
}

/** One of a fixed set of values, matched case-insensitively and stored as declared. */
export function enumType(values: readonly string[]): ColumnType {
  const byLower = new Map(values.map((value) => [value.toLowerCase(), value]));
  return {
    name: `one of ${values.join('|')}`,
    storage: 'string',
    schema: z
      .string()
      .trim()
      .transform((value, context) => {
        const known = byLower.get(value.toLowerCase());
        if (known === undefined) {
          context.addIssue({ code: 'custom', message: `is not one of ${values.join(', ')}` });
          return z.NEVER;
        }
        return known;
      }),
  };
}

/** Emails are trimmed and lower-cased: `Masha.Kelley12@Example.com` and `masha.kelley12@example.com` are one. */
/**
 * An address: a local part of up to 64 characters without spaces, `@` or quotes, and a domain
 * with a dot and a top-level part of two or more letters. Unicode is allowed on both sides
 * (RFC 6531: `josé@exemple.fr` is a real address), and so is `o'brien@example.com`.
 */
const EMAIL = /^[^\s@"]{1,64}@(?:[^\s@".]+\.)+[^\s@".\d]{2,}$/u;

/** Emails are trimmed and lower-cased: `Masha.Kelley12@Example.com` and `masha.kelley12@example.com` are one. */
export const emailType: ColumnType = {
  name: 'email',
  storage: 'string',
  schema: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ pattern: EMAIL, message: 'is not an email address' }))
    .pipe(z.string().max(254, 'is longer than 254 characters')),
  fast: (raw) => {
    const email = raw.trim().toLowerCase();
    return email.length <= 254 && EMAIL.test(email) ? email : undefined;
  },
};

/**
 * Phones normalise to E.164 with libphonenumber-js. A number is accepted when it is *possible*
 * (the right length for its country), not only when it is *valid* for today's numbering plan:
 * new area codes, and the 555-01XX numbers reserved for fiction, must not be quarantined.
 */
export function phoneType(options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS): ColumnType {
  // Parsing a number costs about 15 µs; a customer's phone repeats on every receipt of theirs, so
  // the last PHONE_CACHE distinct spellings are remembered (null: not a phone number).
  const known = new Map<string, string | null>();
  const e164Of = (value: string): string | null => {
    let number = known.get(value);
    if (number === undefined) {
      const phone = parsePhoneNumberFromString(value, options.defaultRegion);
      number = phone?.isPossible() ? phone.number : null;
      if (known.size >= PHONE_CACHE) known.clear();
      known.set(value, number);
    }
    return number;
  };
  return {
    name: 'phone',
    storage: 'string',
    schema: z
      .string()
      .trim()
      .transform((value, context) => {
        const number = e164Of(value);
        if (number === null) {
          context.addIssue({
            code: 'custom',
            message: `is not a phone number (region ${options.defaultRegion} assumed without a country code)`,
          });
          return z.NEVER;
        }
        return number;
      }),
    fast: (raw) => (trimmed(raw) ? (e164Of(raw) ?? undefined) : undefined),
  };
}

const EPOCH_SECONDS = /^\d{1,11}$/;
const EPOCH_MILLIS = /^\d{12,14}$/;
/** ISO 8601 date-time with an explicit zone, or a plain date (taken as UTC midnight). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?))?$/;

/** Reads ISO 8601 or epoch seconds; explains epoch milliseconds and local times instead of guessing. */
function instantOf(value: string): Date | string {
  if (EPOCH_SECONDS.test(value)) return new Date(Number(value) * 1000);
  if (EPOCH_MILLIS.test(value)) return 'looks like epoch milliseconds; write epoch seconds or ISO 8601';
  if (!ISO_8601.test(value)) {
    return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)
      ? 'has no time zone; add Z or an offset such as +01:00'
      : 'is not an ISO 8601 date-time or epoch seconds';
  }
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value.replace(' ', 'T'));
  // JavaScript rolls 2025-02-30 over to 2 March; a calendar day that does not exist is an error.
  const [year, month, day] = [+value.slice(0, 4), +value.slice(5, 7), +value.slice(8, 10)];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(date.getTime()) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    return 'is not a real date';
  }
  return date;
}

/**
 * The common spelling `YYYY-MM-DDTHH:MM:SSZ` read digit by digit, without regexes or a second
 * Date: the instant `instantOf` gives, or undefined to let `instantOf` decide (any other form,
 * a day the month does not have, an hour past 23).
 */
function isoUtcSeconds(value: string): Date | undefined {
  if (value.length !== 20 || value.charCodeAt(19) !== 90 /* Z */ || value.charCodeAt(10) !== 84 /* T */) {
    return undefined;
  }
  if (value[4] !== '-' || value[7] !== '-' || value[13] !== ':' || value[16] !== ':') return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > 28 && day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999; ISO 8601 does not.
  if (year < 100) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** The number written by `length` ASCII digits from `start`, or -1. */
function digits(value: string, start: number, length: number): number {
  let number = 0;
  for (let i = start; i < start + length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    number = number * 10 + c;
  }
  return number;
}

function instantSchema() {
  return z
    .string()
    .trim()
    .transform((value, context) => {
      const instant = instantOf(value);
      if (typeof instant === 'string') {
        context.addIssue({ code: 'custom', message: instant });
        return z.NEVER;
      }
      return instant;
    });
}

/** A point in time, ISO 8601 or epoch seconds, stored as a UTC timestamp. */
export const timestampType: ColumnType = {
  name: 'timestamp',
  storage: 'timestamp',
  schema: instantSchema(),
  fast: (raw) => {
    const instant = isoUtcSeconds(raw) ?? (trimmed(raw) ? instantOf(raw) : undefined);
    return instant instanceof Date ? instant : undefined;
  },
};

/**
 * A point in time for Personalize, which takes only epoch seconds (a long). ISO 8601 is accepted
 * and converted, so a CRM export can feed it unchanged.
 */
export const epochSecondsType: ColumnType = {
  name: 'epoch seconds',
  storage: 'bigint',
  schema: instantSchema().transform((date) => Math.floor(date.getTime() / 1000)),
  fast: (raw) => {
    const instant = isoUtcSeconds(raw) ?? (trimmed(raw) ? instantOf(raw) : undefined);
    return instant instanceof Date ? Math.floor(instant.getTime() / 1000) : undefined;
  },
};

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const WHOLE = /^[+-]?\d{1,15}$/;

function numberFast(pattern: RegExp, bounds: { min?: number; max?: number }) {
  return (raw: string): number | undefined => {
    if (!pattern.test(raw)) return undefined;
    const value = Number(raw);
    const inBounds =
      (bounds.min === undefined || value >= bounds.min) && (bounds.max === undefined || value <= bounds.max);
    return Number.isFinite(value) && inBounds ? value : undefined;
  };
}

/** A decimal number (no hex, no `Infinity`), optionally bounded. */
export function decimalType(bounds: { min?: number; max?: number } = {}): ColumnType {
  let number = z.number();
  if (bounds.min !== undefined) number = number.min(bounds.min, `is below ${bounds.min}`);
  if (bounds.max !== undefined) number = number.max(bounds.max, `is above ${bounds.max}`);
  return {
    name: 'decimal',
    storage: 'double',
    schema: z.string().trim().regex(DECIMAL, 'is not a number').transform(Number).pipe(number),
    fast: numberFast(DECIMAL, bounds),
  };
}

/** A whole number, optionally bounded. */
export function integerType(bounds: { min?: number; max?: number } = {}): ColumnType {
  let number = z.number().int();
  if (bounds.min !== undefined) number = number.min(bounds.min, `is below ${bounds.min}`);
  if (bounds.max !== undefined) number = number.max(bounds.max, `is above ${bounds.max}`);
  return {
    name: 'integer',
    storage: 'bigint',
    schema: z.string().trim().regex(WHOLE, 'is not a whole number').transform(Number).pipe(number),
    fast: numberFast(WHOLE, bounds),
  };
}

/** Personalize's categorical strings: `|`-separated values, at most 1,000 characters in all. */
export const categoricalType: ColumnType = {
  name: 'categorical',
  storage: 'string',
  schema: z
    .string()
    .trim()
    .max(1000, 'is longer than the 1,000 characters Personalize allows for categorical values'),
};

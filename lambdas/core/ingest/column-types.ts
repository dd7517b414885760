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
}

/** Options that change how values normalise. */
export interface NormaliseOptions {
  /** Region for phone numbers written without a country code. */
  readonly defaultRegion: CountryCode;
}

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
  };
}

/** Free text up to `maxLength` characters. */
export function textType(maxLength = 1000): ColumnType {
  return {
    name: 'text',
    storage: 'string',
    schema: z.string().trim().max(maxLength, `is longer than ${maxLength} characters`),
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
export const emailType: ColumnType = {
  name: 'email',
  storage: 'string',
  schema: z.string().trim().toLowerCase().pipe(z.email('is not an email address')).pipe(z.string().max(254)),
};

/**
 * Phones normalise to E.164 with libphonenumber-js. A number is accepted when it is *possible*
 * (the right length for its country), not only when it is *valid* for today's numbering plan:
 * new area codes, and the 555-01XX numbers reserved for fiction, must not be quarantined.
 */
export function phoneType(options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS): ColumnType {
  return {
    name: 'phone',
    storage: 'string',
    schema: z
      .string()
      .trim()
      .transform((value, context) => {
        const phone = parsePhoneNumberFromString(value, options.defaultRegion);
        if (!phone?.isPossible()) {
          context.addIssue({
            code: 'custom',
            message: `is not a phone number (region ${options.defaultRegion} assumed without a country code)`,
          });
          return z.NEVER;
        }
        return phone.number;
      }),
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
  return Number.isNaN(date.getTime()) ? 'is not a real date' : date;
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
export const timestampType: ColumnType = { name: 'timestamp', storage: 'timestamp', schema: instantSchema() };

/**
 * A point in time for Personalize, which takes only epoch seconds (a long). ISO 8601 is accepted
 * and converted, so a CRM export can feed it unchanged.
 */
export const epochSecondsType: ColumnType = {
  name: 'epoch seconds',
  storage: 'bigint',
  schema: instantSchema().transform((date) => Math.floor(date.getTime() / 1000)),
};

/** A decimal number (no hex, no `Infinity`), optionally bounded. */
export function decimalType(bounds: { min?: number; max?: number } = {}): ColumnType {
  let number = z.number();
  if (bounds.min !== undefined) number = number.min(bounds.min, `is below ${bounds.min}`);
  if (bounds.max !== undefined) number = number.max(bounds.max, `is above ${bounds.max}`);
  return {
    name: 'decimal',
    storage: 'double',
    schema: z
      .string()
      .trim()
      .regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, 'is not a number')
      .transform(Number)
      .pipe(number),
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
    schema: z
      .string()
      .trim()
      .regex(/^[+-]?\d{1,15}$/, 'is not a whole number')
      .transform(Number)
      .pipe(number),
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

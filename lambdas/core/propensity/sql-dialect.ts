/**
 * The portable SQL subset that both Amazon Athena (Trino) and DuckDB run unchanged, and the one
 * macro that papers over the single place where they differ.
 *
 * The subset (checked by `assertPortable` on every query this module builds):
 * - Plain `SELECT … FROM … JOIN … GROUP BY <columns>` with CTEs, `UNION ALL`, `CASE`, `COALESCE`,
 *   `SUM`/`COUNT`/`MIN`/`MAX`, `CAST(x AS DOUBLE)`, `(VALUES …) AS t(c)`.
 * - No `QUALIFY`, no `GROUP BY ALL`, no `::` casts, no `FILTER (WHERE …)`: Trino has none of them
 *   (it has FILTER, but older Athena engines do not).
 * - No `GREATEST`/`LEAST` over nullable values: Trino returns NULL when any argument is NULL,
 *   DuckDB ignores the NULLs.
 * - Division: DuckDB's `/` on integers gives a DOUBLE, Trino's truncates. Every division here has
 *   a DOUBLE operand (`… / 86400.0`, `CAST(x AS DOUBLE) / y`), so both give the same number.
 * - Timestamps: literals `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.mmm'` and `ts ± INTERVAL 'n' DAY` read the
 *   same in both. Differences are not: `date_diff('day', a, b)` counts whole 24-hour periods in
 *   Trino but calendar-day boundaries crossed in DuckDB. So a difference goes through the macro
 *   `{{epoch_seconds(x)}}`: `to_unixtime(x)` in Athena, `epoch(x)` in DuckDB (both DOUBLE seconds).
 *   Trino reads a zone-less timestamp in the session zone (UTC on Athena unless changed); the
 *   Parquet columns are UTC, and a difference of two such values is the same in any fixed zone.
 * - Hashing: `{{profile_bucket(x)}}` (only when the features query samples training customers):
 *   `xxhash64` in Athena, `hash` in DuckDB; each engine's sample is stable, not the same as the other's.
 * - Identifiers that are keywords are double-quoted (`"timestamp"`), which both accept.
 */

export type SqlDialect = 'athena' | 'duckdb';

const MACROS: Record<string, Record<SqlDialect, (argument: string) => string>> = {
  epoch_seconds: {
    athena: (x) => `to_unixtime(${x})`,
    duckdb: (x) => `epoch(${x})`,
  },
  // A profile's bucket in [0, 1000000): a stable hash to sample customers by. The engines' hashes
  // differ, so each picks its own sample; athena-export.ts buckets profiles with the same functions.
  profile_bucket: {
    athena: (x) => `abs(mod(from_big_endian_64(xxhash64(to_utf8(${x}))), 1000000))`,
    duckdb: (x) => `hash(${x}) % 1000000`,
  },
};

/** Expands `{{macro(argument)}}` for a dialect. Arguments hold no braces. */
export function expandMacros(template: string, dialect: SqlDialect): string {
  return template.replace(/\{\{(\w+)\(([^{}]*)\)\}\}/g, (_whole, name: string, argument: string) => {
    const macro = MACROS[name];
    if (!macro) throw new Error(`unknown SQL macro ${name}`);
    return macro[dialect](argument.trim());
  });
}

const NOT_PORTABLE: readonly [RegExp, string][] = [
  [/\bQUALIFY\b/i, 'QUALIFY (Trino has none)'],
  [/\bGROUP\s+BY\s+ALL\b/i, 'GROUP BY ALL (Trino has none)'],
  [/::/, ':: casts (use CAST)'],
  [/\bFILTER\s*\(/i, 'FILTER (WHERE …) (use SUM(CASE …))'],
  [/\b(GREATEST|LEAST)\s*\(/i, 'GREATEST/LEAST (NULLs differ)'],
  [/\bdate_diff\s*\(/i, 'date_diff (units differ; use {{epoch_seconds(x)}})'],
  [/\{\{/, 'an unexpanded macro'],
];

/** Throws when a query uses something outside the portable subset. */
export function assertPortable(sql: string): void {
  for (const [pattern, what] of NOT_PORTABLE) {
    if (pattern.test(sql)) throw new Error(`the propensity SQL uses ${what}`);
  }
}

/** A UTC instant as a SQL timestamp literal both engines read (millisecond precision). */
export function timestampLiteral(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new Error('invalid date for a SQL timestamp literal');
  return `TIMESTAMP '${instant.toISOString().slice(0, 23).replace('T', ' ')}'`;
}

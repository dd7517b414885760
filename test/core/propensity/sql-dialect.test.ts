import { describe, expect, it } from 'vitest';
import { featuresQuery } from '../../../lambdas/core/propensity/features-sql';
import { assertPortable, expandMacros, timestampLiteral } from '../../../lambdas/core/propensity/sql-dialect';

const options = {
  cutoffs: [{ at: new Date('2025-10-01T00:00:00Z'), everyone: true }],
  churnDays: 90,
  repurchaseDays: 30,
};

describe('the portable propensity SQL', () => {
  it('expands the epoch macro to each engine’s function', () => {
    expect(expandMacros('{{epoch_seconds(o.ts)}} - 1', 'athena')).toBe('to_unixtime(o.ts) - 1');
    expect(expandMacros('{{epoch_seconds(o.ts)}} - 1', 'duckdb')).toBe('epoch(o.ts) - 1');
  });

  it('differs between the two dialects only where the macro stands', () => {
    const athena = featuresQuery(options, 'athena');
    const duckdb = featuresQuery(options, 'duckdb');

    expect(athena).not.toContain('epoch(');
    expect(duckdb).not.toContain('to_unixtime(');
    expect(athena.replaceAll('to_unixtime(', 'epoch(')).toBe(duckdb);
  });

  it('refuses constructs outside the subset', () => {
    expect(() => assertPortable('SELECT * FROM t QUALIFY row_number() OVER () = 1')).toThrow(/QUALIFY/);
    expect(() => assertPortable('SELECT a, count(*) FROM t GROUP BY ALL')).toThrow(/GROUP BY ALL/);
    expect(() => assertPortable('SELECT a::DOUBLE FROM t')).toThrow(/CAST/);
    expect(() => assertPortable("SELECT date_diff('day', a, b) FROM t")).toThrow(/date_diff/);
    expect(() => assertPortable('SELECT greatest(a, b) FROM t')).toThrow(/GREATEST/);
    expect(() => assertPortable('SELECT CAST(a AS DOUBLE) / b FROM t')).not.toThrow();
  });

  it('writes cutoffs as millisecond UTC timestamp literals', () => {
    expect(timestampLiteral(new Date('2025-10-01T12:34:56.789Z'))).toBe(
      "TIMESTAMP '2025-10-01 12:34:56.789'",
    );
  });

  it('refuses a window that is not a whole number of days', () => {
    expect(() => featuresQuery({ ...options, churnDays: 1.5 }, 'duckdb')).toThrow(/whole number of days/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  type ColumnType,
  decimalType,
  emailType,
  epochSecondsType,
  idType,
  integerType,
  phoneType,
  textType,
  timestampType,
} from '../../../lambdas/core/ingest/column-types';

/** Awkward cells: padding, case, limits, impossible dates, odd numbers, foreign scripts. */
const CORPUS = [
  'C00000042',
  ' C1 ',
  'C1\n',
  'x'.repeat(256),
  'x'.repeat(257),
  'Masha.Kelley12@Example.com',
  ' masha@example.com ',
  'josé@exemple.fr',
  "o'brien@example.com",
  'john.williams1357@exampleorg',
  'a@b',
  'a@b.c1',
  'two@@example.com',
  'not-an-email',
  '+12015550142',
  '(212) 555-0142',
  '372-555-0180',
  '4635550199',
  '12',
  '+44 20 7946 0958',
  '2025-01-01T00:00:00Z',
  '2024-02-29T23:59:59Z',
  '2025-02-29T00:00:00Z',
  '2025-04-31T12:00:00Z',
  '2025-12-31T23:59:60Z',
  '2025-01-01T24:00:00Z',
  '0099-01-01T00:00:00Z',
  '2025-1a-01T00:00:00Z',
  '2025-01-01t00:00:00Z',
  '2025-01-01T01:00:00+01:00',
  '2025-01-01 10:00:00Z',
  '2025-01-01',
  '2025-02-30T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-01-01 10:00',
  '1735689600',
  '1735689600000',
  'yesterday',
  '10.50',
  '-3',
  '+.5',
  '1e3',
  '0x10',
  'Infinity',
  '007',
  '1.',
  '९९',
  'Ωmega',
];

const TYPES: [string, ColumnType][] = [
  ['id', idType(256)],
  ['text', textType(20)],
  ['email', emailType],
  ['phone', phoneType({ defaultRegion: 'US' })],
  ['timestamp', timestampType],
  ['epoch seconds', epochSecondsType],
  ['decimal', decimalType({ min: 0 })],
  ['integer', integerType({ min: 0, max: 100 })],
];

describe('column types', () => {
  it.each(TYPES)('the %s fast path agrees with its schema wherever it answers', (_name, type) => {
    let answered = 0;
    for (const raw of CORPUS) {
      const fast = type.fast?.(raw);
      if (fast === undefined) continue;
      answered++;
      const parsed = type.schema.safeParse(raw);
      expect({ raw, ok: parsed.success, value: parsed.data }).toEqual({ raw, ok: true, value: fast });
    }
    expect(answered).toBeGreaterThan(0);
  });

  it('accepts international and apostrophe emails but not a domain without a dot', () => {
    const ok = (raw: string) => emailType.schema.safeParse(raw).success;

    expect(['josé@exemple.fr', "o'brien@example.com", 'Masha.Kelley12@Example.com'].map(ok)).toEqual([
      true,
      true,
      true,
    ]);
    expect(['john.williams1357@exampleorg', 'a@b', 'two@@example.com', 'a@b.c1'].map(ok)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses a calendar day that does not exist instead of rolling it over', () => {
    const result = timestampType.schema.safeParse('2025-02-30T00:00:00Z');

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('is not a real date');
  });
});

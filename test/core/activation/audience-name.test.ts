import { describe, expect, it } from 'vitest';
import {
  audienceKeyOf,
  audienceNameOf,
  jobPartOf,
  slugify,
} from '../../../lambdas/core/activation/audience-name';
import type { AudienceQuery } from '../../../lambdas/core/activation/batch-segment-reader';

const attributes = (itemAttributes: string): AudienceQuery => ({ itemAttributes });

const TRICKY: AudienceQuery[] = [
  attributes('ITEMS.price > 10'),
  attributes('ITEMS.price > 20'),
  attributes('ITEMS.price < 10'),
  attributes('ITEMS.price >= 10'),
  attributes('ITEMS.price = 10'),
  attributes('ITEMS.genres = "Action"'),
  attributes('ITEMS.genres = "action"'),
  attributes('ITEMS.genres = "ACTION"'),
  attributes('ITEMS.genres="Action"'),
  attributes('ITEMS.genres = "Action!"'),
  attributes('ITEMS.genres = "Action" AND ITEMS.year > 2000'),
  attributes('ITEMS.genres = "Action" OR ITEMS.year > 2000'),
  attributes('ITEMS.genres IN ("Action", "Comedy")'),
  attributes('ITEMS.genres IN ("Comedy", "Action")'),
  attributes('ITEMS.item = "42"'),
  attributes('ITEMS.genres = "Comédie"'),
  attributes('ITEMS.genres = "Comedie"'),
  attributes('ITEMS.genres = "日本"'),
  attributes('ITEMS.genres = "中国"'),
  attributes(`ITEMS.description = "${'very long words '.repeat(20)}one"`),
  attributes(`ITEMS.description = "${'very long words '.repeat(20)}two"`),
  { itemId: '42' },
  { itemId: 'X42' },
  { itemId: 'x42' },
  { itemId: 'item-42' },
];

describe('audience names', () => {
  it('gives different names to different queries, however close', () => {
    // Act
    const names = TRICKY.map((query) => audienceNameOf(query, 'weekly'));

    // Assess
    expect(new Set(names).size).toBe(TRICKY.length);
  });

  it('gives the same name to the same query and job every time', () => {
    // Act / Assess
    expect(TRICKY.map((q) => audienceNameOf(q, 'weekly'))).toEqual(
      TRICKY.map((q) => audienceNameOf(q, 'weekly')),
    );
  });

  it('reads like the query: operators spelled out, ITEMS. dropped, lower case', () => {
    // Act / Assess
    expect(audienceKeyOf(attributes('ITEMS.price > 10'))).toMatch(/^price-gt-10_[0-9a-f]{8}$/);
    expect(audienceKeyOf(attributes('ITEMS.price <= 20'))).toMatch(/^price-lte-20_[0-9a-f]{8}$/);
    expect(audienceKeyOf(attributes('ITEMS.genres = "Action"'))).toMatch(/^genres-action_[0-9a-f]{8}$/);
    expect(audienceKeyOf(attributes('ITEMS.genres = "Comédie"'))).toMatch(/^genres-comedie_[0-9a-f]{8}$/);
    expect(audienceKeyOf({ itemId: 'SKU 9' })).toMatch(/^item-sku-9_[0-9a-f]{8}$/);
  });

  it('needs no hash when the name spells the query exactly', () => {
    // Act / Assess
    expect(audienceNameOf(attributes('ITEMS.genres = "action"'), 'weekly-2024-06')).toBe(
      'genres-action--weekly-2024-06',
    );
    expect(audienceNameOf({ itemId: '42' }, 'weekly')).toBe('item-42--weekly');
  });

  it('names what has no Latin letter or digit by the rest of the query and the hash', () => {
    // Act / Assess
    expect(audienceKeyOf(attributes('ITEMS.genres = "日本"'))).toMatch(/^genres_[0-9a-f]{8}$/);
    expect(audienceKeyOf(attributes('"日本"'))).toMatch(/^query_[0-9a-f]{8}$/);
    expect(audienceKeyOf({ itemId: '日本' })).toMatch(/^item-id_[0-9a-f]{8}$/);
  });

  it('cuts very long queries to a readable length and keeps them apart with the hash', () => {
    // Prepare
    const long = `ITEMS.description = "${'word '.repeat(200)}"`;

    // Act
    const name = audienceNameOf(attributes(long), 'weekly');

    // Assess
    expect(name.length).toBeLessThanOrEqual(48 + 9 + 2 + 'weekly'.length);
    expect(name).toMatch(/^description-word-word.*_[0-9a-f]{8}--weekly$/);
  });

  it('keeps a safe lower-case job name and hashes any other', () => {
    // Act / Assess
    expect(jobPartOf('weekly_genres-2024')).toBe('weekly_genres-2024');
    expect(jobPartOf('Weekly')).toMatch(/^weekly_[0-9a-f]{8}$/);
    expect(jobPartOf('weekly')).not.toBe(jobPartOf('Weekly'));
    expect(jobPartOf('a--b')).toMatch(/^a-b_[0-9a-f]{8}$/);
    expect(jobPartOf('x_0123abcd')).not.toBe('x_0123abcd');
  });

  it('uses only characters safe in S3 keys, file names and segment names, with one -- between query and job', () => {
    // Act
    const names = TRICKY.map((query) => audienceNameOf(query, 'My Job/2024'));

    // Assess
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9_-]+$/);
      expect(name.split('--')).toHaveLength(2);
    }
  });

  it('slugifies accents away and collapses separators', () => {
    // Act / Assess
    expect(slugify('  Ça  va?? Très-bien!  ')).toBe('ca-va-tres-bien');
  });
});

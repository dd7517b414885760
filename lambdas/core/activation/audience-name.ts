import { createHash } from 'node:crypto';
import type { AudienceQuery } from './batch-segment-reader';

/**
 * Audience names: stable, readable, collision-free, derived from the query and the job.
 *
 *   ITEMS.genres = "action"      + job weekly-2024-06  →  genres-action--weekly-2024-06
 *   ITEMS.genres = "Action"      + job weekly-2024-06  →  genres-action_5c1f0b2e--weekly-2024-06
 *   ITEMS.price > 10             + job Weekly_June     →  price-gt-10_8d1e…--weekly-june_3a90…
 *
 * The name is `<audience key>--<job part>`. Each part is a lower-case slug; when the slug could have
 * come from another text (case folded, punctuation dropped, an operator spelled out, cut for length),
 * it is followed by `_` and the first 8 hex digits of the SHA-256 of the exact text. So two different
 * queries (or jobs) get different names, and the same query and job always get the same name, which
 * is what lets a re-delivered event overwrite its own files. Lower case keeps names distinct on
 * case-insensitive file systems too.
 *
 * Why the parts cannot be confused with each other:
 *  - a slug without hash only comes from the one exact text it spells (the canonical forms below);
 *  - a slug with hash ends in `_` + 8 hex digits, which no slug without hash does;
 *  - slugs never contain `--`, so the first `--` separates the audience key from the job part.
 * Characters are [a-z0-9_-] only: safe in S3 keys, file names, and Pinpoint segment names.
 */

const MAX_SLUG = 48;
const HASH_SUFFIX = /_[0-9a-f]{8}$/;

/** The query as one line of text, for manifests and messages. */
export function queryText(query: AudienceQuery): string {
  return 'itemAttributes' in query ? query.itemAttributes : `itemId = "${query.itemId}"`;
}

/** The exact text the hash covers: the kind of query and its value, byte for byte. */
function queryIdentity(query: AudienceQuery): string {
  return 'itemAttributes' in query ? `itemAttributes:${query.itemAttributes}` : `itemId:${query.itemId}`;
}

/** The first `length` hex digits of the SHA-256 of the text. */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);
}

/** Lower-case ASCII words joined by single hyphens; accents dropped, other characters become separators. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Cuts a slug to `max` characters at a word boundary when there is one. */
function cut(slug: string, max: number): string {
  if (slug.length <= max) return slug;
  const head = slug.slice(0, max);
  const boundary = head.lastIndexOf('-');
  return (boundary > max / 2 ? head.slice(0, boundary) : head).replace(/-+$/, '');
}

/** Spells out the operators of a Personalize item-attributes expression, and drops `ITEMS.`. */
function readableExpression(expression: string): string {
  return expression
    .replace(/\bITEMS\./gi, ' ')
    .replace(/>=/g, ' gte ')
    .replace(/<=/g, ' lte ')
    .replace(/!=|<>/g, ' not ')
    .replace(/>/g, ' gt ')
    .replace(/</g, ' lt ')
    .replace(/=/g, ' ');
}

/** `ITEMS.genres = "action"`: the one shape whose slug (`genres-action`) spells it exactly. */
const CANONICAL_ATTRIBUTE = /^ITEMS\.([a-z][a-z0-9]*) = "([a-z0-9]+)"$/;
/** Item IDs made of lower-case letters and digits: `item-42` spells `itemId "42"` exactly. */
const CANONICAL_ITEM_ID = /^[a-z0-9]+$/;

/** The audience key: the query part of the name (no job), e.g. `genres-action_5c1f0b2e`. */
export function audienceKeyOf(query: AudienceQuery, hashLength = 8): string {
  if ('itemAttributes' in query) {
    const match = CANONICAL_ATTRIBUTE.exec(query.itemAttributes);
    // `item-…` is reserved for item IDs, so the field `item` is never canonical.
    if (match && match[1] !== 'item' && `${match[1]}-${match[2]}`.length <= MAX_SLUG)
      return `${match[1]}-${match[2]}`;
    const base = cut(slugify(readableExpression(query.itemAttributes)), MAX_SLUG) || 'query';
    return `${base}_${shortHash(queryIdentity(query), hashLength)}`;
  }
  if (CANONICAL_ITEM_ID.test(query.itemId) && query.itemId.length <= MAX_SLUG - 5)
    return `item-${query.itemId}`;
  const base = cut(`item-${slugify(query.itemId) || 'id'}`, MAX_SLUG);
  return `${base}_${shortHash(queryIdentity(query), hashLength)}`;
}

/** The job part of the name: the job name itself when it is already a safe lower-case slug. */
export function jobPartOf(jobName: string): string {
  if (/^[a-z0-9][a-z0-9_-]{0,62}$/.test(jobName) && !jobName.includes('--') && !HASH_SUFFIX.test(jobName)) {
    return jobName;
  }
  return `${cut(slugify(jobName), MAX_SLUG) || 'job'}_${shortHash(jobName)}`;
}

/** The audience name `<audience key>--<job part>`: the stem of its files and its Pinpoint segment name. */
export function audienceNameOf(query: AudienceQuery, jobName: string, hashLength = 8): string {
  return `${audienceKeyOf(query, hashLength)}--${jobPartOf(jobName)}`;
}

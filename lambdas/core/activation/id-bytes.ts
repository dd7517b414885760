import { isUtf8 } from 'node:buffer';

/**
 * Byte-level helpers for IDs as they come out of a JSON string: decoding escapes, hashing, and
 * checking what CSV needs. They work on byte ranges so the hot path (millions of plain ASCII IDs)
 * never creates a JS string.
 */

/**
 * The result of the last `hashIdBytes` call: `[h1, h2, flags]`. A module-level scratch array, because
 * returning an object per ID would allocate millions of them.
 */
export const idHash = new Int32Array(3);

/** Flag in `idHash[2]`: the ID holds a comma, quote, CR or LF, so its CSV field must be quoted. */
export const NEEDS_QUOTES = 1;
/** Flag in `idHash[2]`: the ID holds bytes ≥ 0x80, so its UTF-8 must be checked before writing. */
export const NON_ASCII = 2;

/** The murmur3 finalizer: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Starting values of the two hash lanes. */
export const HASH_SEED_1 = 0x811c9dc5 | 0;
export const HASH_SEED_2 = 0x9747b28c | 0;

/**
 * Finishes a hash whose lanes were fed byte by byte with
 *   h1 = Math.imul(h1 ^ b, 0x01000193); h2 = Math.imul(h2 ^ b, 0x5bd1e995); h2 ^= h2 >>> 15;
 * and stores `[h1, h2, flags]` in `idHash`. The scanner feeds strings of arrays this way while it
 * scans them (saving a second pass over millions of IDs); `hashIdBytes` does it for any bytes. Both
 * must give the same result, which a test checks.
 */
export function finishHash(h1: number, h2: number, length: number, flags: number): void {
  h1 = fmix32(h1 ^ length);
  h2 = fmix32(h2 ^ Math.imul(h1, 0x27d4eb2d));
  // (0, 0) marks an empty slot in the hash sets; move the one ID that would hash there.
  if (h1 === 0 && h2 === 0) h2 = 1;
  idHash[0] = h1;
  idHash[1] = h2;
  idHash[2] = flags;
}

/**
 * Hashes the UTF-8 bytes of one ID into two independent 32-bit lanes (a 64-bit hash) and notes the
 * CSV flags, in one pass. Lane 1 is FNV-1a; lane 2 uses another multiplier and an xorshift, so the
 * lanes do not collide together. Results go to `idHash`.
 */
export function hashIdBytes(bytes: Uint8Array, start: number, end: number): void {
  let h1 = HASH_SEED_1;
  let h2 = HASH_SEED_2;
  let flags = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
    if (b < 0x2d) {
      if (b === 0x2c || b === 0x22 || b === 0x0a || b === 0x0d) flags |= NEEDS_QUOTES;
    } else if (b >= 0x80) flags |= NON_ASCII;
  }
  finishHash(h1, h2, end - start, flags);
}

/** The 64-bit hash of an ID given as a string, as `[h1, h2]` (same values as `hashIdBytes`). */
export function hashId(id: string): [number, number] {
  const bytes = Buffer.from(id, 'utf8');
  hashIdBytes(bytes, 0, bytes.length);
  return [idHash[0]!, idHash[1]!];
}

/** True when the bytes are well-formed UTF-8 (the native check; only called for non-ASCII IDs). */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  return isUtf8(bytes.subarray(start, end));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the string has no lone surrogate, i.e. it has a UTF-8 form. */
export function isWellFormedString(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

/**
 * Decodes the content of a JSON string (between its quotes) from UTF-8 bytes, escapes included.
 * `\uXXXX` pairs become one code point (`\ud83d\ude00` → 😀); a lone surrogate stays lone, so callers
 * that need UTF-8 check `isWellFormedString`. Returns undefined for an invalid escape.
 */
export function decodeJsonString(bytes: Buffer, start: number, end: number): string | undefined {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    if (bytes[i] !== 0x5c) {
      i++;
      continue;
    }
    if (i > run) out += bytes.toString('utf8', run, i);
    const e = bytes[i + 1];
    if (e === undefined || i + 1 >= end) return undefined;
    if (e === 0x75) {
      if (i + 6 > end) return undefined;
      let code = 0;
      for (let k = i + 2; k < i + 6; k++) {
        const v = hexValue(bytes[k]!);
        if (v < 0) return undefined;
        code = code * 16 + v;
      }
      out += String.fromCharCode(code);
      i += 6;
    } else {
      const simple = SIMPLE_ESCAPES[e];
      if (simple === undefined) return undefined;
      out += simple;
      i += 2;
    }
    run = i;
  }
  if (end > run) out += bytes.toString('utf8', run, end);
  return out;
}

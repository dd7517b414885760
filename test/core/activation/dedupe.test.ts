import { describe, expect, it } from 'vitest';
import { HashLog, RepeatFilter } from '../../../lambdas/core/activation/dedupe';
import { decodeJsonString, hashId, isWellFormedString } from '../../../lambdas/core/activation/id-bytes';

const hashes = (ids: readonly string[]): [number, number][] => ids.map((id) => hashId(id));

describe('HashLog', () => {
  it('finds the repeat in a sub-list that holds exactly two entries, both for the same user', () => {
    // Prepare: partition 0x01 (the top byte of h2) gets only these two; others get one entry each.
    const log = new HashLog();
    log.append(0x1234, 0x01000042);
    for (let p = 2; p < 200; p += 1) log.append(p, (p << 24) | 7);
    log.append(0x1234, 0x01000042);

    // Act
    const repeats = log.findRepeats();

    // Assess
    expect(repeats.extra).toBe(1);
    expect(repeats.hashes.has(0x1234, 0x01000042)).toBe(true);
  });

  it('finds exactly the repeated hashes and how many repeats there are', () => {
    // Prepare
    const log = new HashLog();
    const ids = Array.from({ length: 50_000 }, (_, i) => `u${i}`);
    for (const [h1, h2] of hashes([...ids, 'u7', 'u7', 'u49999'])) log.append(h1, h2);

    // Act
    const repeats = log.findRepeats();

    // Assess
    expect(repeats.extra).toBe(3);
    expect(repeats.hashes.size).toBe(2);
    expect(repeats.hashes.has(...hashId('u7'))).toBe(true);
    expect(repeats.hashes.has(...hashId('u8'))).toBe(false);
  });
});

describe('HashLog memory reuse', () => {
  it('gives exact results when a log reuses the memory of a previous one and partitions are skewed', () => {
    // Prepare: one partition (top byte 0x7f) gets 3,000 hashes, so it spans blocks and the log grows.
    const first = new HashLog();
    for (let i = 1; i <= 20_000; i++) first.append(i, (0x7f << 24) | i);
    first.findRepeats();
    const second = new HashLog();
    for (let i = 1; i <= 3_000; i++) second.append(i, (0x7f << 24) | i);
    for (let i = 1; i <= 500; i++) second.append(-i, i << 8);
    second.append(2_999, (0x7f << 24) | 2_999);
    second.append(-7, 7 << 8);

    // Act
    const repeats = second.findRepeats();

    // Assess
    expect(repeats.extra).toBe(2);
    expect(repeats.hashes.has(2_999, (0x7f << 24) | 2_999)).toBe(true);
    expect(repeats.hashes.has(-7, 7 << 8)).toBe(true);
    expect(repeats.hashes.has(1, (0x7f << 24) | 1)).toBe(false);
  });
});

describe('RepeatFilter', () => {
  it('refuses a repeat at once while the list is small', () => {
    // Prepare
    const filter = new RepeatFilter();
    const [a, b] = hashes(['u1', 'u2']);

    // Act
    const offers = [filter.offer(...a!), filter.offer(...b!), filter.offer(...a!)];

    // Assess
    expect(offers).toEqual([true, true, false]);
    expect(filter.deferred).toBe(false);
  });

  it('defers to the log past 1,024 users and still finds repeats of users seen before', () => {
    // Prepare
    const filter = new RepeatFilter();
    const ids = Array.from({ length: 100_000 }, (_, i) => `u${i}`);
    for (const [h1, h2] of hashes(ids)) filter.offer(h1, h2);

    // Act
    const late = hashes(['u1', 'new', 'u99999']).map(([h1, h2]) => filter.offer(h1, h2));
    const repeats = filter.findRepeats();

    // Assess
    expect(filter.deferred).toBe(true);
    expect(late).toEqual([true, true, true]);
    expect(repeats.extra).toBe(2);
  });
});

describe('decodeJsonString', () => {
  it('decodes every JSON escape, surrogate pairs included', () => {
    // Prepare
    const raw = Buffer.from('a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00');

    // Act
    const text = decodeJsonString(raw, 0, raw.length);

    // Assess
    expect(text).toBe('a"b\\c/d\b\f\n\r\té😀');
  });

  it('refuses invalid escapes and keeps a lone surrogate visible to the caller', () => {
    // Prepare
    const bad = ['\\x', '\\u12', '\\u12G4', 'end\\'].map((s) => Buffer.from(s));
    const lone = Buffer.from('\\ud800x');

    // Act
    const decoded = bad.map((b) => decodeJsonString(b, 0, b.length));
    const loneText = decodeJsonString(lone, 0, lone.length)!;

    // Assess
    expect(decoded).toEqual([undefined, undefined, undefined, undefined]);
    expect(isWellFormedString(loneText)).toBe(false);
    expect(isWellFormedString('😀')).toBe(true);
  });
});

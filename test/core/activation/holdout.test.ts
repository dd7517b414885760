import { describe, expect, it } from 'vitest';
import {
  holdoutBucket,
  holdoutRule,
  holdoutThreshold,
  isHeldOut,
  isHeldOutHash,
} from '../../../lambdas/core/activation/holdout';
import { hashId } from '../../../lambdas/core/activation/id-bytes';

const users = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);
/** Measured once on the current hashing; users already held out must stay held out after a change. */
const HELD_OUT_OF_100K = 9_835;

describe('hold-out', () => {
  it('holds out a user a bucket below the threshold and keeps one exactly on it', () => {
    // Prepare
    const rule = holdoutRule('genres-action', 10);
    const bucketOf = (user: string) => holdoutBucket(hashId(user)[1], rule.seed);
    const onThreshold = users.find((user) => bucketOf(user) === rule.threshold)!;
    const justBelow = users.find((user) => bucketOf(user) === rule.threshold - 1)!;

    // Act
    const sides = [onThreshold, justBelow].map((user) => isHeldOutHash(hashId(user)[1], rule));

    // Assess
    expect(rule.threshold).toBe(1_000);
    expect(sides).toEqual([false, true]);
  });

  it('holds out exactly the same number of 100k users at 10 % for a fixed audience key', () => {
    // Act
    const heldOut = users.filter((user) => isHeldOut(user, 'genres-action', 10)).length;

    // Assess: pinned, so any change to the hashing or the threshold shows.
    expect(heldOut).toBe(HELD_OUT_OF_100K);
  });

  it('holds out 10 % of 100k users within ±1 %', () => {
    // Act
    const heldOut = users.filter((user) => isHeldOut(user, 'genres-action', 10)).length;

    // Assess
    expect(heldOut / users.length).toBeGreaterThan(0.09);
    expect(heldOut / users.length).toBeLessThan(0.11);
  });

  it('holds out the share asked for, from 1 % to 50 %, within ±1 % on 100k users', () => {
    // Prepare
    const hashes = users.map((user) => hashId(user)[1]);

    for (const percent of [1, 5, 25, 50]) {
      // Act
      const rule = holdoutRule('price-gt-10_ae20baad', percent);
      const share = hashes.filter((h2) => isHeldOutHash(h2, rule)).length / hashes.length;

      // Assess
      expect(Math.abs(share - percent / 100)).toBeLessThan(0.01);
    }
  });

  it('puts the same user on the same side every time for the same audience', () => {
    // Act
    const first = users.slice(0, 5_000).map((user) => isHeldOut(user, 'genres-action', 20));
    const again = users.slice(0, 5_000).map((user) => isHeldOut(user, 'genres-action', 20));

    // Assess
    expect(again).toEqual(first);
  });

  it('draws each audience’s hold-out independently of the others', () => {
    // Act
    const inA = new Set(users.filter((user) => isHeldOut(user, 'genres-action', 10)));
    const inBoth = users.filter((user) => inA.has(user) && isHeldOut(user, 'genres-comedy', 10)).length;

    // Assess: independent draws overlap on about 10 % × 10 % = 1 % of users.
    expect(inBoth / users.length).toBeGreaterThan(0.007);
    expect(inBoth / users.length).toBeLessThan(0.013);
  });

  it('holds out nobody at 0 % and keeps a user held out at 10 % held out at 20 %', () => {
    // Act
    const atZero = users.filter((user) => isHeldOut(user, 'a', 0)).length;
    const atTen = users.filter((user) => isHeldOut(user, 'a', 10));

    // Assess
    expect(atZero).toBe(0);
    expect(atTen.every((user) => isHeldOut(user, 'a', 20))).toBe(true);
  });

  it('refuses percentages outside 0 to below 100', () => {
    // Act / Assess
    expect(() => holdoutThreshold(-1)).toThrow('hold-out percentage -1 must be at least 0 and below 100');
    expect(() => holdoutThreshold(100)).toThrow('below 100');
    expect(() => holdoutThreshold(Number.NaN)).toThrow('below 100');
    expect(holdoutThreshold(12.5)).toBe(1250);
  });
});

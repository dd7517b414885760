import { describe, expect, it } from 'vitest';
import { decileTable, rocAuc } from '../../../lambdas/core/propensity/metrics';

describe('rocAuc', () => {
  it('is 1 when every positive outscores every negative and 0 when reversed', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('counts a tie between a positive and a negative as half', () => {
    // Pairs: (0.5+,0.5-) tie = 0.5, (0.5+,0.1-) = 1, (0.9+,0.5-) = 1, (0.9+,0.1-) = 1 → 3.5 / 4.
    expect(rocAuc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0])).toBe(0.875);
  });

  it('is not a number without both classes', () => {
    expect(rocAuc([0.2, 0.4], [1, 1])).toBeNaN();
  });
});

describe('decileTable', () => {
  it('puts the highest scores in decile 1 with their observed rate and lift', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    const labels = scores.map((s) => (s >= 0.9 ? 1 : 0));

    const rows = decileTable(scores, labels);

    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatchObject({ decile: 1, customers: 10, observedRate: 1, lift: 10 });
    expect(rows[0]!.meanScore).toBeCloseTo(0.945);
    expect(rows[9]).toMatchObject({ decile: 10, observedRate: 0, lift: 0 });
  });
});

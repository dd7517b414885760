import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../data/generator/random';
import {
  estimatePriorStrength,
  sparseRows,
  topUsers,
} from '../../../lambdas/local/segmentation/segmentation-model';

describe('the parts of the segmentation model', () => {
  it('sums repeated user–item pairs into one entry and keeps each row in column order', () => {
    const matrix = sparseRows(
      3,
      4,
      Int32Array.from([2, 0, 2, 0, 2]),
      Int32Array.from([3, 1, 0, 1, 3]),
      Float32Array.from([1, 2, 3, 4, 5]),
    );

    expect(Array.from(matrix.start)).toEqual([0, 1, 1, 3]);
    expect(Array.from(matrix.columns)).toEqual([1, 0, 3]);
    expect(Array.from(matrix.values)).toEqual([6, 3, 6]);
  });

  it('ranks the highest scores first and breaks ties by the lower index', () => {
    expect(Array.from(topUsers(Float32Array.from([0.5, 2, 0.5, 1]), 3))).toEqual([1, 3, 0]);
  });

  describe('the strength of the prior', () => {
    const users = 4000;
    const total = new Float64Array(users).fill(20);
    const squared = new Float64Array(users).fill(20); // unweighted: Σw² = Σw
    const prior = new Float64Array(users);
    const random = createRandom(3);
    for (let u = 0; u < users; u++) prior[u] = u % 2 === 0 ? 0.1 : 0.6;
    const binomial = (n: number, p: number) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (random.next() < p) k++;
      return k;
    };

    it('is very large when the counts scatter around the prior no more than independent draws would', () => {
      const own = Float64Array.from(prior, (p) => binomial(20, p));

      expect(estimatePriorStrength(own, total, squared, prior)).toBeGreaterThan(100);
    });

    it('is small when the true shares are far from the prior', () => {
      // Half the users of each prior group really have a share of 0.05, the other half 0.9.
      const own = Float64Array.from(prior, (_, u) => binomial(20, u % 4 < 2 ? 0.05 : 0.9));

      expect(estimatePriorStrength(own, total, squared, prior)).toBeLessThan(2);
    });
  });
});

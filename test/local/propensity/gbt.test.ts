import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../lambdas/core/propensity/metrics';
import { DEFAULT_GBT_OPTIONS, predictGbt, trainGbt } from '../../../lambdas/local/propensity/gbt';

/** x0 drives the label through a step, x1 is noise; a fixed generator so the data never changes. */
function plantedData(rows: number, seed: number) {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const x0 = new Float64Array(rows);
  const x1 = new Float64Array(rows);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    x0[i] = next();
    x1[i] = next();
    labels[i] = next() < (x0[i]! > 0.6 ? 0.9 : 0.1) ? 1 : 0;
  }
  return { columns: [x0, x1], labels };
}

const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

describe('the histogram gradient-boosted trees', () => {
  it('learn a planted step and credit the feature that drives it', () => {
    const { columns, labels } = plantedData(3_000, 7);

    const model = trainGbt(columns, labels, range(0, 2_000), range(2_000, 3_000));
    const scores = predictGbt(model, columns, 3_000).subarray(2_000);

    // The best possible AUC here is 0.9 · 0.4 ... about 0.86; noise alone would give 0.5.
    expect(rocAuc(scores, labels.subarray(2_000))).toBeGreaterThan(0.8);
    expect(model.gain[0]).toBeGreaterThan(5 * model.gain[1]!);
    expect(model.rounds).toBeGreaterThan(0);
  });

  it('gives the same model for the same data and seed', () => {
    const { columns, labels } = plantedData(1_000, 3);

    const a = predictGbt(trainGbt(columns, labels, range(0, 800), range(800, 1_000)), columns, 1_000);
    const b = predictGbt(trainGbt(columns, labels, range(0, 800), range(800, 1_000)), columns, 1_000);

    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('sends missing values down their own branch', () => {
    // Missing x0 means a positive; present values are uninformative.
    const rows = 2_000;
    const x0 = Float64Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? Number.NaN : (i % 97) / 97));
    const labels = Uint8Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 1 : 0));

    const model = trainGbt([x0], labels, range(0, rows), range(0, 0), { ...DEFAULT_GBT_OPTIONS, rounds: 30 });
    const p = predictGbt(model, [Float64Array.from([Number.NaN, 0.5])], 2);

    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[1]).toBeLessThan(0.1);
  });
});

/**
 * How good a score is, in the terms report.json uses for both the local and the cloud models:
 * ROC AUC, a calibration table and the lift per decile.
 */

/** ROC AUC by the rank-sum (Mann–Whitney) formula; tied scores share their mean rank. NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSum += meanRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface DecileRow {
  /** 1 = the highest scores. */
  readonly decile: number;
  readonly customers: number;
  readonly meanScore: number;
  readonly observedRate: number;
  /** observedRate / the overall rate. */
  readonly lift: number;
}

/**
 * Customers sorted by score, highest first, cut into ten groups of (nearly) equal size: the mean
 * score against the observed rate is the calibration table, the rate against the overall rate the lift.
 */
export function decileTable(scores: ArrayLike<number>, labels: ArrayLike<number>): DecileRow[] {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let total = 0;
  for (let i = 0; i < n; i++) total += labels[i] ? 1 : 0;
  const overall = total / Math.max(1, n);
  const rows: DecileRow[] = [];
  for (let d = 0; d < 10; d++) {
    const from = Math.floor((d * n) / 10);
    const to = Math.floor(((d + 1) * n) / 10);
    let score = 0;
    let hits = 0;
    for (let k = from; k < to; k++) {
      score += scores[order[k]!]!;
      hits += labels[order[k]!] ? 1 : 0;
    }
    const size = to - from;
    const rate = size > 0 ? hits / size : 0;
    rows.push({
      decile: d + 1,
      customers: size,
      meanScore: size > 0 ? score / size : 0,
      observedRate: rate,
      lift: overall > 0 ? rate / overall : 0,
    });
  }
  return rows;
}

export interface FeatureImportance {
  readonly feature: string;
  /** The feature's share of the total split gain. */
  readonly gainShare: number;
}

/**
 * Total split gain per feature as shares of the whole, largest first, features without a split
 * left out: report.json's `featureImportance`, for the local model and the cloud one alike.
 */
export function gainShares(names: readonly string[], gains: ArrayLike<number>): FeatureImportance[] {
  if (gains.length !== names.length) {
    throw new Error(`${gains.length} gains for ${names.length} features`);
  }
  let total = 0;
  for (let f = 0; f < gains.length; f++) total += gains[f]!;
  return names
    .map((feature, f) => ({ feature, gainShare: total > 0 ? gains[f]! / total : 0 }))
    .filter((f) => f.gainShare > 0)
    .sort((a, b) => b.gainShare - a.gainShare);
}

/**
 * A small histogram gradient-boosted-trees learner for binary labels (logistic loss), on typed
 * arrays: the local stand-in for SageMaker's XGBoost (`binary:logistic`, depth-limited trees,
 * shrinkage, row subsampling, L2 on leaf weights, early stopping on a held-out set).
 *
 * Why not a library: `ml-xgboost` 1.1.2 (XGBoost 0.7x in WebAssembly) fails with "offset is out of
 * bounds" on 200,000 × 30 rows (its fixed Wasm heap; data passes through the stack), has no
 * validation set, early stopping or feature importance, and predicts one row per call.
 * `ml-random-forest` builds exact CART trees from ml-matrix and gives vote shares, not calibrated
 * probabilities; `ml-logistic-regression` is linear and learns by fixed-step gradient ascent.
 *
 * Features are bucketed once into at most 64 quantile bins (bin 0 = missing, NaN). A split sends
 * bins ≤ t left, so missing values always go left, like XGBoost's default direction when it has
 * seen no missing value.
 */

export interface GbtOptions {
  readonly rounds: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly minChildWeight: number;
  /** L2 penalty on leaf weights (XGBoost's lambda). */
  readonly lambda: number;
  /** Share of rows each tree sees. */
  readonly subsample: number;
  /** Stop after this many rounds without a better early-stopping log loss. */
  readonly earlyStoppingRounds: number;
  readonly maxBins: number;
  readonly seed: number;
}

export const DEFAULT_GBT_OPTIONS: GbtOptions = {
  rounds: 300,
  learningRate: 0.08,
  maxDepth: 4,
  minChildWeight: 5,
  lambda: 1,
  subsample: 0.8,
  earlyStoppingRounds: 25,
  maxBins: 64,
  seed: 1,
};

/** Column-major data: columns[f][row]. */
export type Columns = readonly Float64Array[];

interface Tree {
  /** Per node: split feature, or -1 for a leaf. */
  readonly feature: Int32Array;
  /** Per node: left when the value is missing or ≤ threshold. */
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

export interface GbtModel {
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  /** Total split gain per feature, summed over every tree. */
  readonly gain: Float64Array;
  /** Rounds kept after early stopping. */
  readonly rounds: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A seeded xorshift generator: the same data and seed give the same model. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Cut points: at most maxBins - 1 distinct quantiles of the non-missing values. */
function cutPoints(column: Float64Array, rows: Int32Array, maxBins: number): Float64Array {
  const values: number[] = [];
  const step = Math.max(1, Math.floor(rows.length / 50_000));
  for (let i = 0; i < rows.length; i += step) {
    const v = column[rows[i]!]!;
    if (!Number.isNaN(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const cuts: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const v = values[Math.floor((b * values.length) / maxBins)];
    if (v !== undefined && (cuts.length === 0 || v > cuts.at(-1)!)) cuts.push(v);
  }
  // The largest value needs no cut: everything above the last cut is the last bin.
  return Float64Array.from(cuts);
}

/** 0 for missing, else 1 + the number of cuts below the value. */
function binOf(value: number, cuts: Float64Array): number {
  if (Number.isNaN(value)) return 0;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

function predictTree(tree: Tree, columns: Columns, row: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    const v = columns[tree.feature[node]!]![row]!;
    node = Number.isNaN(v) || v <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/** Probabilities for every row of the columns. */
export function predictGbt(model: GbtModel, columns: Columns, rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let margin = model.baseScore;
    for (const tree of model.trees) margin += predictTree(tree, columns, r);
    out[r] = sigmoid(margin);
  }
  return out;
}

function logLoss(labels: Uint8Array, rows: Int32Array, margin: Float64Array): number {
  let loss = 0;
  for (const r of rows) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, sigmoid(margin[r]!)));
    loss -= labels[r] ? Math.log(p) : Math.log(1 - p);
  }
  return loss / Math.max(1, rows.length);
}

/**
 * Trains on `train` rows and stops early on `stop` rows (both indices into the columns and labels).
 */
export function trainGbt(
  columns: Columns,
  labels: Uint8Array,
  train: Int32Array,
  stop: Int32Array,
  options: GbtOptions = DEFAULT_GBT_OPTIONS,
): GbtModel {
  const nFeatures = columns.length;
  const nRows = labels.length;
  const cuts = columns.map((c) => cutPoints(c, train, options.maxBins));
  const nBins = Math.max(...cuts.map((c) => c.length)) + 2;
  // Binned training rows only (bins[f][r]); prediction on other rows reads raw values.
  const bins = columns.map((column, f) => {
    const b = new Uint8Array(nRows);
    for (const r of train) b[r] = binOf(column[r]!, cuts[f]!);
    return b;
  });

  let positives = 0;
  for (const r of train) positives += labels[r]!;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, train.length)));
  const baseScore = Math.log(rate / (1 - rate));
  const margin = new Float64Array(nRows).fill(baseScore);
  const grad = new Float64Array(nRows);
  const hess = new Float64Array(nRows);
  const gain = new Float64Array(nFeatures);
  const trees: Tree[] = [];
  const next = random(options.seed);

  let best = Number.POSITIVE_INFINITY;
  let bestRounds = 0;
  let bestGain = gain.slice();
  for (let round = 0; round < options.rounds; round++) {
    for (const r of train) {
      const p = sigmoid(margin[r]!);
      grad[r] = p - labels[r]!;
      hess[r] = Math.max(p * (1 - p), 1e-16);
    }
    const sample = Int32Array.from(Array.from(train).filter(() => next() < options.subsample));
    const tree = growTree(sample, bins, cuts, grad, hess, nBins, options, gain);
    trees.push(tree);
    for (const r of train) margin[r] = margin[r]! + predictTree(tree, columns, r);
    for (const r of stop) margin[r] = margin[r]! + predictTree(tree, columns, r);
    const loss = logLoss(labels, stop.length > 0 ? stop : train, margin);
    if (loss < best - 1e-7) {
      best = loss;
      bestRounds = trees.length;
      bestGain = gain.slice();
    } else if (trees.length - bestRounds >= options.earlyStoppingRounds) break;
  }
  return { baseScore, trees: trees.slice(0, bestRounds), gain: bestGain, rounds: bestRounds };
}

interface OpenNode {
  readonly id: number;
  readonly rows: Int32Array;
  readonly depth: number;
}

function growTree(
  rows: Int32Array,
  bins: readonly Uint8Array[],
  cuts: readonly Float64Array[],
  grad: Float64Array,
  hess: Float64Array,
  nBins: number,
  options: GbtOptions,
  gainOut: Float64Array,
): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const addNode = () => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    return feature.length - 1;
  };
  const nFeatures = bins.length;
  const histG = new Float64Array(nFeatures * nBins);
  const histH = new Float64Array(nFeatures * nBins);
  const { lambda, minChildWeight } = options;

  const queue: OpenNode[] = [{ id: addNode(), rows, depth: 0 }];
  while (queue.length > 0) {
    const node = queue.shift()!;
    let G = 0;
    let H = 0;
    for (const r of node.rows) {
      G += grad[r]!;
      H += hess[r]!;
    }
    value[node.id] = (-G / (H + lambda)) * options.learningRate;
    if (node.depth >= options.maxDepth || H < 2 * minChildWeight) continue;

    histG.fill(0);
    histH.fill(0);
    for (let f = 0; f < nFeatures; f++) {
      const b = bins[f]!;
      const offset = f * nBins;
      for (const r of node.rows) {
        const k = offset + b[r]!;
        histG[k] = histG[k]! + grad[r]!;
        histH[k] = histH[k]! + hess[r]!;
      }
    }
    const parent = (G * G) / (H + lambda);
    let bestGain = 1e-9;
    let bestFeature = -1;
    let bestBin = -1;
    for (let f = 0; f < nFeatures; f++) {
      let gl = 0;
      let hl = 0;
      const offset = f * nBins;
      const last = cuts[f]!.length; // bins 0 … last + 1; splitting after the last bin splits nothing
      for (let t = 0; t <= last; t++) {
        gl += histG[offset + t]!;
        hl += histH[offset + t]!;
        const hr = H - hl;
        if (hl < minChildWeight || hr < minChildWeight) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = t;
        }
      }
    }
    if (bestFeature < 0) continue;

    const b = bins[bestFeature]!;
    const goesLeft = node.rows.filter((r) => b[r]! <= bestBin);
    const goesRight = node.rows.filter((r) => b[r]! > bestBin);
    gainOut[bestFeature] = gainOut[bestFeature]! + bestGain;
    feature[node.id] = bestFeature;
    // Bin t ≥ 1 holds values up to cuts[t - 1]; bin 0 (missing) alone goes left when t = 0.
    threshold[node.id] = bestBin === 0 ? Number.NEGATIVE_INFINITY : cuts[bestFeature]![bestBin - 1]!;
    const l = addNode();
    const r = addNode();
    left[node.id] = l;
    right[node.id] = r;
    queue.push(
      { id: l, rows: goesLeft, depth: node.depth + 1 },
      { id: r, rows: goesRight, depth: node.depth + 1 },
    );
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}

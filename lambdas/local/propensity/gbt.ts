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
  const step = Math.max(1, Math.floor(rows.length / 50_000));
  const sampled = new Float64Array(Math.ceil(rows.length / step));
  let count = 0;
  for (let i = 0; i < rows.length; i += step) {
    const v = column[rows[i]!]!;
    if (!Number.isNaN(v)) sampled[count++] = v;
  }
  // A typed array sorts numerically, natively, with no comparator call per pair.
  const values = sampled.subarray(0, count).sort();
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

function logLoss(labels: Uint8Array, positions: Int32Array, margin: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < positions.length; i++) {
    const r = positions[i]!;
    const p = Math.min(1 - 1e-12, Math.max(1e-12, sigmoid(margin[r]!)));
    loss -= labels[r] ? Math.log(p) : Math.log(1 - p);
  }
  return loss / Math.max(1, positions.length);
}

/**
 * The binned examples, row-major (`bins[i * nFeatures + f]`, one byte each), so building a
 * histogram reads each example's bins from one cache line instead of one column per feature.
 */
interface Binned {
  readonly bins: Uint8Array;
  readonly nFeatures: number;
  /** Bins per feature, the same for all: the widest feature's cut count + 2. */
  readonly nBins: number;
  readonly cuts: readonly Float64Array[];
}

function binRows(columns: Columns, rows: Int32Array, cuts: readonly Float64Array[]): Uint8Array {
  const nFeatures = columns.length;
  const bins = new Uint8Array(rows.length * nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    const column = columns[f]!;
    const c = cuts[f]!;
    for (let i = 0; i < rows.length; i++) bins[i * nFeatures + f] = binOf(column[rows[i]!]!, c);
  }
  return bins;
}

/** The tree's leaf value for binned example i (the same path as predictTree on its raw values). */
function predictBinned(tree: Tree, binThreshold: Int32Array, data: Binned, i: number): number {
  let node = 0;
  const base = i * data.nFeatures;
  while (tree.feature[node]! >= 0) {
    node =
      data.bins[base + tree.feature[node]!]! <= binThreshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
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
  const cuts = columns.map((c) => cutPoints(c, train, options.maxBins));
  const nBins = Math.max(...cuts.map((c) => c.length)) + 2;
  // Examples are renumbered 0 … n-1: the training rows, then the early-stopping rows.
  const all = new Int32Array(train.length + stop.length);
  all.set(train);
  all.set(stop, train.length);
  const data: Binned = { bins: binRows(columns, all, cuts), nFeatures, nBins, cuts };
  const n = all.length;
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = labels[all[i]!]!;
  const nTrain = train.length;
  const stopPositions = new Int32Array(n - nTrain);
  for (let i = 0; i < stopPositions.length; i++) stopPositions[i] = nTrain + i;
  const trainPositions = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) trainPositions[i] = i;

  let positives = 0;
  for (let i = 0; i < nTrain; i++) positives += y[i]!;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, nTrain)));
  const baseScore = Math.log(rate / (1 - rate));
  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(nTrain);
  const hess = new Float64Array(nTrain);
  const gain = new Float64Array(nFeatures);
  const trees: Tree[] = [];
  const next = random(options.seed);
  const sample = new Int32Array(nTrain);
  const workspace = new Workspace(nFeatures, nBins, options.maxDepth, nTrain);

  let best = Number.POSITIVE_INFINITY;
  let bestRounds = 0;
  let bestGain = gain.slice();
  for (let round = 0; round < options.rounds; round++) {
    let sampled = 0;
    for (let i = 0; i < nTrain; i++) {
      const p = sigmoid(margin[i]!);
      grad[i] = p - y[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-16);
      if (next() < options.subsample) sample[sampled++] = i;
    }
    const { tree, binThreshold } = growTree(
      sample.subarray(0, sampled),
      data,
      grad,
      hess,
      options,
      gain,
      workspace,
    );
    trees.push(tree);
    for (let i = 0; i < n; i++) margin[i] = margin[i]! + predictBinned(tree, binThreshold, data, i);
    const loss = logLoss(y, stopPositions.length > 0 ? stopPositions : trainPositions, margin);
    if (loss < best - 1e-7) {
      best = loss;
      bestRounds = trees.length;
      bestGain = gain.slice();
    } else if (trees.length - bestRounds >= options.earlyStoppingRounds) break;
  }
  return { baseScore, trees: trees.slice(0, bestRounds), gain: bestGain, rounds: bestRounds };
}

/** Buffers reused by every tree: the example order (partitioned in place) and one histogram per depth. */
class Workspace {
  readonly order: Int32Array;
  readonly scratch: Int32Array;
  /** histograms[depth]: gradient and hessian sums interleaved, [2k] and [2k + 1], k = f * nBins + bin. */
  readonly histograms: Float64Array[];
  constructor(nFeatures: number, nBins: number, maxDepth: number, rows: number) {
    this.order = new Int32Array(rows);
    this.scratch = new Int32Array(rows);
    // Two per depth: a node's children; a parent's histogram is kept until both children are split.
    this.histograms = Array.from(
      { length: 2 * (maxDepth + 2) },
      () => new Float64Array(2 * nFeatures * nBins),
    );
  }
}

function buildHistogram(
  hist: Float64Array,
  order: Int32Array,
  from: number,
  to: number,
  data: Binned,
  grad: Float64Array,
  hess: Float64Array,
): void {
  hist.fill(0);
  const { bins, nFeatures, nBins } = data;
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    const g = grad[i]!;
    const h = hess[i]!;
    const base = i * nFeatures;
    for (let f = 0, offset = 0; f < nFeatures; f++, offset += 2 * nBins) {
      const j = offset + 2 * bins[base + f]!;
      hist[j] = hist[j]! + g;
      hist[j + 1] = hist[j + 1]! + h;
    }
  }
}

interface OpenNode {
  readonly id: number;
  /** The node's examples are order[from … to). */
  readonly from: number;
  readonly to: number;
  readonly depth: number;
  readonly G: number;
  readonly H: number;
  /** Its histogram (a workspace buffer), already built. */
  readonly hist: Float64Array;
}

/**
 * Grows one depth-limited tree, depth first. Each split builds the histogram of the smaller child
 * only and gets the larger one's by subtraction from the parent's (as LightGBM and XGBoost's hist
 * method do), so each level costs at most half a pass over the node's examples.
 */
function growTree(
  rows: Int32Array,
  data: Binned,
  grad: Float64Array,
  hess: Float64Array,
  options: GbtOptions,
  gainOut: Float64Array,
  ws: Workspace,
): { tree: Tree; binThreshold: Int32Array } {
  const feature: number[] = [];
  const threshold: number[] = [];
  const binThreshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const addNode = () => {
    feature.push(-1);
    threshold.push(0);
    binThreshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(0);
    return feature.length - 1;
  };
  const { nFeatures, nBins, bins, cuts } = data;
  const { lambda, minChildWeight } = options;
  const order = ws.order;
  order.set(rows);
  let G0 = 0;
  let H0 = 0;
  for (let k = 0; k < rows.length; k++) {
    G0 += grad[rows[k]!]!;
    H0 += hess[rows[k]!]!;
  }
  const rootHist = ws.histograms[0]!;
  buildHistogram(rootHist, order, 0, rows.length, data, grad, hess);

  // Depth first: a node at depth d keeps its histogram in slot 2d or 2d + 1 until it is split.
  const stack: OpenNode[] = [
    { id: addNode(), from: 0, to: rows.length, depth: 0, G: G0, H: H0, hist: rootHist },
  ];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { G, H, hist } = node;
    value[node.id] = (-G / (H + lambda)) * options.learningRate;
    if (node.depth >= options.maxDepth || H < 2 * minChildWeight) continue;

    const parent = (G * G) / (H + lambda);
    let bestGain = 1e-9;
    let bestFeature = -1;
    let bestBin = -1;
    let bestGl = 0;
    let bestHl = 0;
    for (let f = 0; f < nFeatures; f++) {
      let gl = 0;
      let hl = 0;
      const offset = 2 * f * nBins;
      const last = cuts[f]!.length; // bins 0 … last + 1; splitting after the last bin splits nothing
      for (let t = 0; t <= last; t++) {
        gl += hist[offset + 2 * t]!;
        hl += hist[offset + 2 * t + 1]!;
        const hr = H - hl;
        if (hl < minChildWeight || hr < minChildWeight) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = t;
          bestGl = gl;
          bestHl = hl;
        }
      }
    }
    if (bestFeature < 0) continue;

    // Partition order[from … to) in place: left examples first, keeping their relative order.
    let l = node.from;
    let s = 0;
    for (let k = node.from; k < node.to; k++) {
      const i = order[k]!;
      if (bins[i * nFeatures + bestFeature]! <= bestBin) order[l++] = i;
      else ws.scratch[s++] = i;
    }
    order.set(ws.scratch.subarray(0, s), l);

    gainOut[bestFeature] = gainOut[bestFeature]! + bestGain;
    feature[node.id] = bestFeature;
    binThreshold[node.id] = bestBin;
    // Bin t ≥ 1 holds values up to cuts[t - 1]; bin 0 (missing) alone goes left when t = 0.
    threshold[node.id] = bestBin === 0 ? Number.NEGATIVE_INFINITY : cuts[bestFeature]![bestBin - 1]!;
    const leftId = addNode();
    const rightId = addNode();
    left[node.id] = leftId;
    right[node.id] = rightId;

    const depth = node.depth + 1;
    if (depth >= options.maxDepth) {
      // Leaves need only their sums, not histograms.
      stack.push(
        { id: leftId, from: node.from, to: l, depth, G: bestGl, H: bestHl, hist },
        { id: rightId, from: l, to: node.to, depth, G: G - bestGl, H: H - bestHl, hist },
      );
      continue;
    }
    const smallHist = ws.histograms[2 * depth]!;
    const largeHist = ws.histograms[2 * depth + 1]!;
    const leftIsSmall = l - node.from <= node.to - l;
    if (leftIsSmall) buildHistogram(smallHist, order, node.from, l, data, grad, hess);
    else buildHistogram(smallHist, order, l, node.to, data, grad, hess);
    for (let k = 0; k < largeHist.length; k++) largeHist[k] = hist[k]! - smallHist[k]!;
    const leftNode = {
      id: leftId,
      from: node.from,
      to: l,
      depth,
      G: bestGl,
      H: bestHl,
      hist: leftIsSmall ? smallHist : largeHist,
    };
    const rightNode = {
      id: rightId,
      from: l,
      to: node.to,
      depth,
      G: G - bestGl,
      H: H - bestHl,
      hist: leftIsSmall ? largeHist : smallHist,
    };
    stack.push(leftNode, rightNode);
  }
  return {
    tree: {
      feature: Int32Array.from(feature),
      threshold: Float64Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      value: Float64Array.from(value),
    },
    binThreshold: Int32Array.from(binThreshold),
  };
}

import type { Interactions } from './datasets';
import { fitImplicitAls, type ImplicitAlsFactors, type SparseRows } from './implicit-als';
import { seededRandom } from '../seeded-random';

/**
 * The local stand-in for Personalize's USER_SEGMENTATION recipes (aws-item-attribute-affinity and
 * aws-item-affinity): for a set of items Q (the items matching a query, or one item), it ranks
 * users by their expected number of future interactions with Q,
 *
 *   score(u, Q) = rate_u · (w_uQ + β · s_u(Q)) / (w_u + β)
 *
 * - w_uQ, w_u: the user's recency-weighted interactions with Q and in all (each interaction
 *   weighs 2^(−age / halfLife)), so drifting tastes and fading users count for less;
 * - rate_u = w_u: the user's recent activity, the expected volume of future interactions;
 * - s_u(Q): the share of Q the collaborative model predicts, Σ_{i∈Q} pop_i·x_u·y_i over
 *   Σ_i pop_i·x_u·y_i, from implicit ALS factors (x_u, y_i) and recency-weighted item
 *   popularity pop_i. It is the prior the user's own share is shrunk towards (a Dirichlet /
 *   empirical-Bayes estimate with strength β), which matters most for users with few interactions.
 */

export interface SegmentationModelOptions {
  /** Half-life of an interaction's weight, in days. */
  readonly halfLifeDays: number;
  /**
   * Strength β of the collaborative prior, in recency-weighted interactions; `auto` estimates it per
   * query from the data (beta-binomial method of moments).
   */
  readonly priorStrength: number | 'auto';
  readonly factors: number;
  readonly iterations: number;
  readonly regularization: number;
  readonly alpha: number;
  readonly cgSteps: number;
  /** Seed of the initial factors. */
  readonly seed: number;
}

export const defaultSegmentationModelOptions: SegmentationModelOptions = {
  halfLifeDays: 60,
  priorStrength: 'auto',
  factors: 24,
  iterations: 6,
  regularization: 5,
  alpha: 1,
  cgSteps: 3,
  seed: 1,
};

/** A fitted model over `users × items` (the index spaces of the interactions). */
export interface SegmentationModel {
  readonly users: number;
  readonly items: number;
  /** Predicted affinity of every user to the item set `matching` (1 = in the set), by user index. */
  score(matching: Uint8Array): Float32Array;
}

const SECONDS_PER_DAY = 86_400;

/** Fits the model to the interactions; `items` is the size of the item index (catalogue included). */
export function fitSegmentationModel(
  interactions: Interactions,
  items: number,
  options: Partial<SegmentationModelOptions> = {},
): SegmentationModel {
  const settings = { ...defaultSegmentationModelOptions, ...options };
  const users = interactions.userIds.length;
  const weights = recencyWeights(interactions.timestamps, settings.halfLifeDays);
  const byUser = sparseRows(users, items, interactions.users, interactions.items, weights);
  const byItem = sparseRows(items, users, interactions.items, interactions.users, weights);
  const factors = fitImplicitAls(byUser, byItem, { ...settings, random: seededRandom(settings.seed) });
  const activity = rowSums(byUser);
  const popularity = rowSums(byItem);
  const squaredActivity = new Float64Array(users);
  for (let e = 0; e < interactions.count; e++) squaredActivity[interactions.users[e]!]! += weights[e]! ** 2;
  return {
    users,
    items,
    score: (matching) =>
      scoreUsers(matching, { byUser, factors, activity, squaredActivity, popularity }, settings),
  };
}

/** 2^(−age / halfLife), age counted back from the newest interaction. */
function recencyWeights(timestamps: Float64Array, halfLifeDays: number): Float32Array {
  let newest = -Infinity;
  for (const t of timestamps) if (t > newest) newest = t;
  const weights = new Float32Array(timestamps.length);
  const perSecond = 1 / (halfLifeDays * SECONDS_PER_DAY);
  for (let e = 0; e < timestamps.length; e++)
    weights[e] = Math.pow(2, -(newest - timestamps[e]!) * perSecond);
  return weights;
}

/** Sums `values` into a CSR matrix; repeated (row, column) pairs become one entry. */
export function sparseRows(
  rows: number,
  columns: number,
  rowOf: Int32Array,
  columnOf: Int32Array,
  values: Float32Array,
): SparseRows {
  const n = rowOf.length;
  // Two stable counting sorts (by column, then by row) leave each row's columns in order.
  const byColumn = countingOrder(columnOf, columns, identity(n));
  const order = countingOrder(rowOf, rows, byColumn);
  const start = new Int32Array(rows + 1);
  const outColumns = new Int32Array(n);
  const outValues = new Float32Array(n);
  let size = 0;
  let previousRow = -1;
  for (const e of order) {
    const row = rowOf[e]!;
    const column = columnOf[e]!;
    if (row === previousRow && size > start[row]! && outColumns[size - 1] === column) {
      outValues[size - 1]! += values[e]!;
      continue;
    }
    while (previousRow < row) start[++previousRow] = size;
    outColumns[size] = column;
    outValues[size++] = values[e]!;
  }
  while (previousRow < rows) start[++previousRow] = size;
  return { rows, start, columns: outColumns.slice(0, size), values: outValues.slice(0, size) };
}

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let e = 0; e < n; e++) order[e] = e;
  return order;
}

function countingOrder(keys: Int32Array, size: number, input: Int32Array): Int32Array {
  const offsets = new Int32Array(size + 1);
  for (const e of input) offsets[keys[e]! + 1]!++;
  for (let key = 0; key < size; key++) offsets[key + 1]! += offsets[key]!;
  const output = new Int32Array(input.length);
  for (const e of input) output[offsets[keys[e]!]!++] = e;
  return output;
}

function rowSums(matrix: SparseRows): Float64Array {
  const sums = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++)
    for (let e = matrix.start[r]!; e < matrix.start[r + 1]!; e++) sums[r]! += matrix.values[e]!;
  return sums;
}

interface Fitted {
  readonly byUser: SparseRows;
  readonly factors: ImplicitAlsFactors;
  readonly activity: Float64Array;
  /** Σ w² of each user's interaction weights: how many independent draws their weighted count is worth. */
  readonly squaredActivity: Float64Array;
  readonly popularity: Float64Array;
}

function scoreUsers(matching: Uint8Array, fitted: Fitted, settings: SegmentationModelOptions): Float32Array {
  const { byUser, factors, activity, squaredActivity, popularity } = fitted;
  const k = factors.factors;
  // Popularity-weighted item factors of the set and of the whole catalogue.
  const inSet = new Float64Array(k);
  const inAll = new Float64Array(k);
  let setPopularity = 0;
  let allPopularity = 0;
  for (let i = 0; i < popularity.length; i++) {
    const weight = popularity[i]!;
    if (weight === 0) continue;
    const at = i * k;
    for (let d = 0; d < k; d++) inAll[d]! += weight * factors.items[at + d]!;
    allPopularity += weight;
    if (matching[i]) {
      for (let d = 0; d < k; d++) inSet[d]! += weight * factors.items[at + d]!;
      setPopularity += weight;
    }
  }
  // Where the factors say nothing (a user with no usable signal), fall back to the set's share of all interactions.
  const baseShare = allPopularity > 0 ? setPopularity / allPopularity : 0;
  const users = byUser.rows;
  const prior = new Float64Array(users);
  const own = new Float64Array(users);
  for (let u = 0; u < users; u++) {
    let inSetAffinity = 0;
    let allAffinity = 0;
    const at = u * k;
    for (let d = 0; d < k; d++) {
      inSetAffinity += factors.users[at + d]! * inSet[d]!;
      allAffinity += factors.users[at + d]! * inAll[d]!;
    }
    prior[u] = allAffinity > 0 ? Math.min(1, Math.max(1e-9, inSetAffinity / allAffinity)) : baseShare;
    for (let e = byUser.start[u]!; e < byUser.start[u + 1]!; e++)
      if (matching[byUser.columns[e]!]) own[u]! += byUser.values[e]!;
  }
  const beta =
    settings.priorStrength === 'auto'
      ? estimatePriorStrength(own, activity, squaredActivity, prior)
      : settings.priorStrength;
  const scores = new Float32Array(users);
  for (let u = 0; u < users; u++) {
    const total = activity[u]!;
    scores[u] = Number.isFinite(beta)
      ? (total * (own[u]! + beta * prior[u]!)) / (total + beta)
      : total * prior[u]!;
  }
  return scores;
}

/**
 * The β under which the users' own weighted counts y = Σ w·x scatter around W·s as they would if
 * each interaction matched with a user-specific probability p ~ Beta(mean s, concentration β)
 * (method of moments): Var(y) = s(1 − s)·(Σw² + (W² − Σw²)/(1 + β)). Infinite when the counts
 * scatter no more than independent draws around the prior (trust the prior alone), 0 when the
 * prior explains nothing.
 */
export function estimatePriorStrength(
  own: Float64Array,
  total: Float64Array,
  squaredTotal: Float64Array,
  prior: Float64Array,
): number {
  let scatter = 0;
  let independent = 0;
  let shared = 0;
  for (let u = 0; u < own.length; u++) {
    const w = total[u]!;
    const variance = prior[u]! * (1 - prior[u]!);
    scatter += (own[u]! - w * prior[u]!) ** 2;
    independent += variance * squaredTotal[u]!;
    shared += variance * (w * w - squaredTotal[u]!);
  }
  if (scatter <= independent) return Infinity;
  if (scatter >= independent + shared) return 0;
  return shared / (scatter - independent) - 1;
}

/** The indices of the `count` highest scores, best first; ties go to the lower index. */
export function topUsers(scores: Float32Array, count: number): Int32Array {
  const order = identity(scores.length);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, Math.min(count, scores.length));
}

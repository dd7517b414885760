import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { UserFacingError } from '../errors';

/**
 * Total gain per feature, read from the model artifact a SageMaker built-in XGBoost training job
 * leaves (`model.tar.gz` with `xgboost-model` at its root), without Python.
 *
 * The pinned container, 1.7-1, runs XGBoost 1.7.4 (aws/sagemaker-xgboost-container,
 * docker/1.7-1/base/Dockerfile.cpu) and saves the booster with `bst.save_model(model_dir +
 * '/xgboost-model')` (src/sagemaker_xgboost_container/algorithm_mode/train.py): no `.json` or
 * `.ubj` extension, so XGBoost 1.x writes its binary format (it warns it is deprecated; 2.0 made
 * UBJSON the default). That format is the in-memory structs of src/learner.cc, src/gbm/
 * gbtree_model.h and include/xgboost/tree_model.h written little-endian, in this order:
 *
 * - optional `binf`; LearnerModelParamLegacy (136 bytes: base_score f32, num_feature u32,
 *   num_class, contain_extra_attrs, contain_eval_metrics, major, minor, num_target,
 *   boost_from_average, 25 reserved i32);
 * - the objective and the booster name (u64 length + bytes each);
 * - GBTreeModelParam (160 bytes: num_trees i32, num_parallel_tree, num_feature, pad, i64
 *   num_pbuffer, num_output_group, size_leaf_vector, 32 reserved i32);
 * - per tree: TreeParam (148 bytes: num_roots, num_nodes, num_deleted, max_depth, num_feature,
 *   size_leaf_vector, 31 reserved i32), num_nodes nodes of 20 bytes (parent, left, right i32,
 *   sindex u32 whose low 31 bits are the split feature, split condition f32), then num_nodes
 *   stats of 16 bytes (loss_chg f32: the split's gain, sum_hess, base_weight f32, leaf_child_cnt);
 * - tree_info (i32 per tree), then, with contain_extra_attrs, the attributes (u64 count, then
 *   key/value strings: best_iteration, objective…), then, with contain_eval_metrics, the metrics.
 *
 * The parser reads to the last byte and fails on anything left over or missing, so a layout it
 * does not know is an error, never a wrong figure. A genuine 1.7.4 artifact and the gains XGBoost
 * itself reports for it (`get_score(importance_type='total_gain')`) are the test fixture
 * (test/fixtures/xgboost/). Gain is XGBoost's `total_gain`: the loss reduction of every split on
 * the feature, summed over the nodes reachable from each root (pruned nodes are not).
 *
 * Which trees: a model that stopped early holds `early_stopping_rounds` trees past its best
 * round. The 1.7-1 container predicts (batch transform included) with
 * `ntree_limit=best_ntree_limit` (algorithm_mode/serve_utils.py), so the importance is summed over
 * those first trees, the ones the scores come from; a model without that attribute uses them all.
 */

/** The file SageMaker's XGBoost writes into model.tar.gz. */
export const XGBOOST_MODEL_FILE = 'xgboost-model';

export interface XgboostTrees {
  readonly objective: string;
  readonly booster: string;
  readonly numFeature: number;
  readonly trees: number;
  /** The first trees the container predicts with: `best_ntree_limit`, else every tree. */
  readonly servedTrees: number;
  /** Nodes a pruner deleted (kept in the file, reachable from no root). */
  readonly deletedNodes: number;
  /** Per tree, split nodes (reachable from its root) per feature: XGBoost's `weight`. */
  readonly treeSplits: readonly Float64Array[];
  /** Per tree, summed split gain per feature: XGBoost's `total_gain`. */
  readonly treeGains: readonly Float64Array[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** Per feature, the sum over the first `trees` trees (default: those the container predicts with). */
export function sumOverTrees(
  model: XgboostTrees,
  what: 'treeGains' | 'treeSplits',
  trees = model.servedTrees,
): Float64Array {
  const out = new Float64Array(model.numFeature);
  for (const tree of model[what].slice(0, trees)) for (let f = 0; f < out.length; f++) out[f]! += tree[f]!;
  return out;
}

const HEADER = Buffer.from('binf');
const LEARNER_PARAM_BYTES = 136;
const GBTREE_PARAM_BYTES = 160;
const TREE_PARAM_BYTES = 148;
const NODE_BYTES = 20;
const STAT_BYTES = 16;

class Cursor {
  offset = 0;
  constructor(private readonly data: Buffer) {}
  take(bytes: number, what: string): Buffer {
    if (bytes < 0 || this.offset + bytes > this.data.length) {
      throw new UserFacingError(
        `${XGBOOST_MODEL_FILE}: ends inside ${what} (byte ${this.offset} of ${this.data.length}): not an XGBoost 1.x binary model`,
      );
    }
    const out = this.data.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return out;
  }
  string(what: string): string {
    const length = this.take(8, what).readBigUInt64LE(0);
    if (length > BigInt(this.data.length)) {
      throw new UserFacingError(
        `${XGBOOST_MODEL_FILE}: ${what} is ${length} bytes long: not an XGBoost 1.x binary model`,
      );
    }
    return this.take(Number(length), what).toString('utf8');
  }
  get left(): number {
    return this.data.length - this.offset;
  }
}

/** Reads the trees of an XGBoost 1.x binary model (the 1.7-1 container's `xgboost-model`). */
export function parseXgboostBinary(data: Buffer): XgboostTrees {
  const cursor = new Cursor(data);
  if (data.subarray(0, 4).equals(HEADER)) cursor.take(4, 'the header');
  const first = data.subarray(cursor.offset, cursor.offset + 1).toString('latin1');
  if (first === '{' || first === '[') {
    throw new UserFacingError(
      `${XGBOOST_MODEL_FILE} is a JSON or UBJSON model (XGBoost 2 or later): the importance reader knows the 1.x binary format of the pinned 1.7-1 container`,
    );
  }
  const learner = cursor.take(LEARNER_PARAM_BYTES, 'the learner parameters');
  const numFeature = learner.readUInt32LE(4);
  const numClass = learner.readInt32LE(8);
  const extraAttributes = learner.readInt32LE(12) !== 0;
  const evalMetrics = learner.readInt32LE(16) !== 0;
  const major = learner.readUInt32LE(20);
  if (major !== 1) {
    throw new UserFacingError(
      `${XGBOOST_MODEL_FILE} was saved by XGBoost ${major}.x: the importance reader knows the 1.x binary format`,
    );
  }
  const objective = cursor.string('the objective');
  const booster = cursor.string('the booster');
  if (booster !== 'gbtree') {
    throw new UserFacingError(`${XGBOOST_MODEL_FILE}: booster ${booster} has no trees to read (gbtree only)`);
  }
  if (numClass > 1)
    throw new UserFacingError(
      `${XGBOOST_MODEL_FILE}: ${numClass} classes; the reader reads one-output models`,
    );

  const gbtree = cursor.take(GBTREE_PARAM_BYTES, 'the tree ensemble parameters');
  const trees = gbtree.readInt32LE(0);
  if (trees < 0 || trees * (TREE_PARAM_BYTES + NODE_BYTES + STAT_BYTES) > cursor.left) {
    throw new UserFacingError(`${XGBOOST_MODEL_FILE}: ${trees} trees cannot fit in the file`);
  }
  const treeSplits: Float64Array[] = [];
  const treeGains: Float64Array[] = [];
  let deletedNodes = 0;
  for (let t = 0; t < trees; t++) {
    const splits = new Float64Array(numFeature);
    const totalGain = new Float64Array(numFeature);
    treeSplits.push(splits);
    treeGains.push(totalGain);
    const param = cursor.take(TREE_PARAM_BYTES, `tree ${t}`);
    const nodes = param.readInt32LE(4);
    deletedNodes += param.readInt32LE(8);
    if (param.readInt32LE(0) !== 1 || nodes < 1) {
      throw new UserFacingError(
        `${XGBOOST_MODEL_FILE}: tree ${t} has ${nodes} nodes and ${param.readInt32LE(0)} roots`,
      );
    }
    const nodeBytes = cursor.take(nodes * NODE_BYTES, `the nodes of tree ${t}`);
    const statBytes = cursor.take(nodes * STAT_BYTES, `the node statistics of tree ${t}`);
    // Walk from the root: nodes a pruner deleted stay in the arrays but are reachable from nothing.
    const stack = [0];
    let visited = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (++visited > nodes) throw new UserFacingError(`${XGBOOST_MODEL_FILE}: tree ${t} is not a tree`);
      const left = nodeBytes.readInt32LE(node * NODE_BYTES + 4);
      if (left === -1) continue; // a leaf
      const right = nodeBytes.readInt32LE(node * NODE_BYTES + 8);
      const feature = nodeBytes.readUInt32LE(node * NODE_BYTES + 12) & 0x7fffffff;
      if (left <= 0 || right <= 0 || left >= nodes || right >= nodes || feature >= numFeature) {
        throw new UserFacingError(
          `${XGBOOST_MODEL_FILE}: tree ${t} node ${node} points outside the tree (children ${left}, ${right}, feature ${feature} of ${numFeature})`,
        );
      }
      splits[feature] = splits[feature]! + 1;
      totalGain[feature] = totalGain[feature]! + statBytes.readFloatLE(node * STAT_BYTES);
      stack.push(right, left);
    }
  }
  cursor.take(4 * trees, 'the tree info');
  const attributes: Record<string, string> = {};
  if (extraAttributes) {
    const count = Number(cursor.take(8, 'the attribute count').readBigUInt64LE(0));
    if (count > cursor.left)
      throw new UserFacingError(`${XGBOOST_MODEL_FILE}: ${count} attributes cannot fit`);
    for (let i = 0; i < count; i++) {
      const key = cursor.string('an attribute name');
      attributes[key] = cursor.string(`attribute ${key}`);
    }
  }
  if (objective === 'count:poisson') cursor.take(cursor.left, 'the poisson parameter');
  if (evalMetrics) {
    const count = Number(cursor.take(8, 'the metric count').readBigUInt64LE(0));
    for (let i = 0; i < count && cursor.left > 0; i++) cursor.string('a metric name');
  }
  if (cursor.left !== 0) {
    throw new UserFacingError(
      `${XGBOOST_MODEL_FILE}: ${cursor.left} bytes after the model: not the XGBoost 1.x binary format this reader knows`,
    );
  }
  const limit = Number(attributes.best_ntree_limit);
  const servedTrees = Number.isInteger(limit) && limit > 0 && limit <= trees ? limit : trees;
  return {
    objective,
    booster,
    numFeature,
    trees,
    servedTrees,
    deletedNodes,
    treeSplits,
    treeGains,
    attributes,
  };
}

/** The `xgboost-model` file inside a SageMaker `model.tar.gz`. */
export async function xgboostModelFromArtifact(artifact: Readable, name = 'model.tar.gz'): Promise<Buffer> {
  const tar = extract();
  let model: Buffer | undefined;
  const reading = (async () => {
    for await (const entry of tar) {
      const path = entry.header.name.replace(/^(\.\/)+/, '');
      if (entry.header.type === 'file' && path === XGBOOST_MODEL_FILE) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        model = Buffer.concat(chunks);
      } else {
        entry.resume();
      }
    }
  })();
  try {
    await Promise.all([pipeline(artifact, createGunzip(), tar), reading]);
  } catch (error) {
    throw new UserFacingError(`${name} is not a readable model.tar.gz: ${(error as Error).message}`);
  }
  if (!model) throw new UserFacingError(`${name} holds no ${XGBOOST_MODEL_FILE} file`);
  return model;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../lambdas/core/propensity/features-sql';
import { gainShares } from '../../../lambdas/core/propensity/metrics';
import {
  parseXgboostBinary,
  sumOverTrees,
  xgboostModelFromArtifact,
} from '../../../lambdas/core/propensity/xgboost-model';

/**
 * The fixture is a genuine artifact: XGBoost 1.7.4 (the 1.7-1 container's version, from Debian's
 * python3-xgboost) trained and saved as the container does, and the gains XGBoost itself reported
 * for it (test/fixtures/xgboost/generate.py).
 */
const fixtures = join(import.meta.dirname, '../../fixtures/xgboost');
const artifact = readFileSync(join(fixtures, 'model.tar.gz'));
const expected = JSON.parse(readFileSync(join(fixtures, 'expected-gain.json'), 'utf8')) as {
  xgboostVersion: string;
  trees: number;
  bestNtreeLimit: number;
  numFeatures: number;
  allTrees: { totalGain: Record<string, number>; weight: Record<string, number> };
  servedTrees: { totalGain: Record<string, number>; weight: Record<string, number> };
};

const modelFile = () => xgboostModelFromArtifact(Readable.from([artifact]));

/** XGBoost's get_score omits features without a split: 0 here. */
const asArray = (scores: Record<string, number>) =>
  Array.from({ length: expected.numFeatures }, (_, f) => scores[`f${f}`] ?? 0);

async function tarGz(files: Record<string, Buffer>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(Buffer.from(chunk as Uint8Array));
  return gzipSync(Buffer.concat(chunks));
}

describe('the XGBoost 1.x binary model reader', () => {
  it('reads the total gain and split count per feature that XGBoost 1.7.4 reports for every tree', async () => {
    const model = parseXgboostBinary(await modelFile());

    expect(expected.xgboostVersion).toBe('1.7.4');
    expect(model).toMatchObject({
      objective: 'binary:logistic',
      booster: 'gbtree',
      numFeature: expected.numFeatures,
      trees: expected.trees,
    });
    const gains = sumOverTrees(model, 'treeGains', model.trees);
    asArray(expected.allTrees.totalGain).forEach((gain, f) => {
      // XGBoost sums the float32 gains in float32, the reader in float64.
      expect(gains[f]).toBeCloseTo(gain, 3);
      expect(Math.abs(gains[f]! - gain)).toBeLessThanOrEqual(1e-6 * Math.max(1, gain));
    });
    expect([...sumOverTrees(model, 'treeSplits', model.trees)]).toEqual(asArray(expected.allTrees.weight));
  });

  it('sums over the trees the container predicts with (best_ntree_limit), as XGBoost does for them', async () => {
    const model = parseXgboostBinary(await modelFile());

    expect(model.servedTrees).toBe(expected.bestNtreeLimit);
    expect(model.servedTrees).toBeLessThan(model.trees); // early stopping kept trees past the best round
    const gains = sumOverTrees(model, 'treeGains');
    asArray(expected.servedTrees.totalGain).forEach((gain, f) => {
      expect(Math.abs(gains[f]! - gain)).toBeLessThanOrEqual(1e-6 * Math.max(1, gain));
    });
    expect([...sumOverTrees(model, 'treeSplits')]).toEqual(asArray(expected.servedTrees.weight));
  });

  it('skips the nodes a pruner deleted: they stay in the file but no root reaches them', async () => {
    const model = parseXgboostBinary(await modelFile());

    // Counting the deleted nodes' stale stats too would break the match with XGBoost above.
    expect(model.deletedNodes).toBeGreaterThan(0);
  });

  it('turns the gains into the shares report.json lists, as the local model does', async () => {
    const model = parseXgboostBinary(await modelFile());
    const shares = gainShares(FEATURE_NAMES, sumOverTrees(model, 'treeGains'));

    const served = asArray(expected.servedTrees.totalGain);
    const total = served.reduce((a, b) => a + b, 0);
    expect(shares).toHaveLength(served.filter((g) => g > 0).length);
    const top = served.indexOf(Math.max(...served));
    expect(shares[0]!.feature).toBe(FEATURE_NAMES[top]);
    expect(shares[0]!.gainShare).toBeCloseTo(served[top]! / total, 5);
    expect(shares.reduce((a, s) => a + s.gainShare, 0)).toBeCloseTo(1, 9);
    expect(shares.map((s) => s.gainShare)).toEqual([...shares.map((s) => s.gainShare)].sort((a, b) => b - a));
  });

  it('fails on a file cut short, with bytes left over, or in another format, instead of guessing', async () => {
    const data = await modelFile();

    expect(() => parseXgboostBinary(data.subarray(0, data.length - 10))).toThrow(/ends inside/);
    expect(() => parseXgboostBinary(Buffer.concat([data, Buffer.from([0, 0, 0, 0])]))).toThrow(
      /4 bytes after the model/,
    );
    expect(() => parseXgboostBinary(Buffer.from('{"learner":{}}'))).toThrow(/JSON or UBJSON model/);
    const version2 = Buffer.from(data);
    version2.writeUInt32LE(2, 4 + 20); // major_version
    expect(() => parseXgboostBinary(version2)).toThrow(/saved by XGBoost 2\.x/);
    const badChild = Buffer.from(data);
    // First tree, root node: its left child points past the tree.
    const firstTree = 4 + 136 + 8 + 'binary:logistic'.length + 8 + 'gbtree'.length + 160;
    badChild.writeInt32LE(100000, firstTree + 148 + 4);
    expect(() => parseXgboostBinary(badChild)).toThrow(/tree 0 node 0 points outside the tree/);
  });
});

describe('model.tar.gz', () => {
  it('yields the xgboost-model file, at the root or under ./', async () => {
    const model = Buffer.from('binf-not-really');
    for (const name of ['xgboost-model', './xgboost-model']) {
      const artifact = await tarGz({ 'other.txt': Buffer.from('x'), [name]: model });
      expect(await xgboostModelFromArtifact(Readable.from([artifact]))).toEqual(model);
    }
  });

  it('names what is wrong with an artifact that has no model or is not gzip', async () => {
    const empty = await tarGz({ 'other.txt': Buffer.from('x') });
    await expect(xgboostModelFromArtifact(Readable.from([empty]), 'k/model.tar.gz')).rejects.toThrow(
      'k/model.tar.gz holds no xgboost-model file',
    );
    await expect(
      xgboostModelFromArtifact(Readable.from([Buffer.from('plain text')]), 'k/model.tar.gz'),
    ).rejects.toThrow(/k\/model.tar.gz is not a readable model.tar.gz/);
  });
});

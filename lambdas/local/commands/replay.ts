import { S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalObjectStore } from '../../adapters/local-object-store';
import type { ObjectStore } from '../../core/ports/object-store';
import { ObjectStoreKeptBatches } from '../../adapters/object-store-kept-batches';
import { S3ObjectStore } from '../../adapters/s3-object-store';
import { UserFacingError } from '../../core/errors';
import { replayKept } from '../../core/segment/replay';
import type { RegisterCommand } from './index';
import { addSegmentOptions, formatCounts, sinkFromOptions, type SegmentCliOptions } from './segment-cli';

/** `cdp replay`: re-sends the batches `push-scores` (or the Lambda) kept. */
export const registerReplay: RegisterCommand = (program) => {
  const command = program
    .command('replay')
    .description('Re-send kept Segment batches; each delivered one is marked with a .replayed object.')
    .argument(
      '<dir-or-prefix>',
      'the --failed-dir of push-scores or a run folder in it (…/failed/<run>), or the replayPrefix of the Lambda as s3://bucket/…/failed/<run>/',
    );
  addSegmentOptions(command).action(async (target: string, options: SegmentCliOptions) => {
    const { store, prefix, shown } = await locate(target);
    const sink = sinkFromOptions(options);
    const result = await replayKept({ kept: new ObjectStoreKeptBatches({ store }), sink, prefix });
    console.log(
      `Replayed ${result.replayed} kept batch file(s) from ${shown}\n${formatCounts(result.counts)}`,
    );
    for (const { key, reason } of result.remaining) console.error(`${key}: still kept: ${reason}`);
    if (result.remaining.length > 0) process.exitCode = 1;
  });
};

/**
 * Splits `<root>/failed/<run>` (or just `<root>`) into a store on the root and the key prefix
 * under it, for a folder or an `s3://` address.
 */
async function locate(target: string): Promise<{ store: ObjectStore; prefix: string; shown: string }> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(target);
  if (s3) {
    const [, bucket, key] = s3 as unknown as [string, string, string];
    const { root, prefix } = splitAtFailed(key.split('/').filter(Boolean), '/');
    return {
      store: new S3ObjectStore({ client: new S3Client({}), bucket, prefix: root }),
      prefix,
      shown: target,
    };
  }
  const resolved = path.resolve(target);
  if (!(await stat(resolved).catch(() => undefined))?.isDirectory()) {
    throw new UserFacingError(`${target}: no such folder`);
  }
  const { root, prefix } = splitAtFailed(resolved.split(path.sep), path.sep);
  return { store: new LocalObjectStore({ root: root || path.sep }), prefix, shown: path.join(root, prefix) };
}

function splitAtFailed(parts: readonly string[], separator: string): { root: string; prefix: string } {
  const failed = parts.lastIndexOf('failed');
  if (failed < 0) return { root: parts.join(separator), prefix: 'failed/' };
  return { root: parts.slice(0, failed).join(separator), prefix: `${parts.slice(failed).join('/')}/` };
}

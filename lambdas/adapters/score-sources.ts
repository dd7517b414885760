import { createReadStream } from 'node:fs';
import { skipBytes } from '../core/segment/score-rows';
import type { ScoreSource } from '../core/segment/sync-scores';
import type { PropensityModel } from '../core/segment/types';
import type { ObjectStore } from '../core/ports/object-store';

/**
 * A score file in an ObjectStore. The port has no ranged read, so resuming part-way streams the
 * file from the start and drops the bytes already pushed: cheap next to parsing them again.
 */
export function objectStoreScoreSource(
  store: ObjectStore,
  key: string,
  model: PropensityModel,
  name = key,
): ScoreSource {
  return {
    model,
    name,
    open: async (fromByte) => {
      const body = await store.get(key);
      return fromByte === 0 ? body : skipBytes(body, fromByte);
    },
  };
}

/** A score file on the local disk, read from the offset directly. */
export function fileScoreSource(path: string, model: PropensityModel, name = path): ScoreSource {
  return {
    model,
    name,
    open: async (fromByte) => createReadStream(path, { start: fromByte, highWaterMark: 256 * 1024 }),
  };
}

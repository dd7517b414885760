/** A batch (or a single refused event) that could not be delivered, kept so it can be replayed. */
export interface KeptBatch {
  readonly run: string;
  readonly batchId: string;
  /** Why it was kept, in words a person can act on. */
  readonly reason: string;
  /** The last HTTP status from Segment, when there was one. */
  readonly status?: number;
  /** The events, each serialized JSON, exactly as they were to be sent. */
  readonly events: readonly string[];
}

/**
 * The port for batches kept for replay (`failed/<run>/<batch-id>.json`). The object store has no
 * delete, so a replayed batch is marked by a `<key>.replayed` object next to it rather than
 * removed: the record of what failed and why stays, and a second replay skips it.
 */
export interface KeptBatchStore {
  /** Writes the batch; returns its key. Writing the same batch twice rewrites the same key. */
  keep(batch: KeptBatch): Promise<string>;
  /** Keys of kept batches under the prefix not yet replayed, in key order. */
  pending(prefix: string): AsyncIterable<string>;
  /** Reads a kept batch back. */
  read(key: string): Promise<KeptBatch>;
  /** Records that the batch at this key was delivered by a replay. */
  markReplayed(key: string): Promise<void>;
}

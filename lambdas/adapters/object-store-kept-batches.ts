import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { UserFacingError } from '../core/errors';
import type { KeptBatch, KeptBatchStore } from '../core/ports/kept-batch-store';
import type { ObjectStore } from '../core/ports/object-store';

const REPLAYED_SUFFIX = '.replayed';

const keptFile = z.object({
  run: z.string(),
  batchId: z.string(),
  reason: z.string(),
  status: z.number().int().optional(),
  events: z.array(z.record(z.string(), z.unknown())),
});

export interface ObjectStoreKeptBatchesOptions {
  readonly store: ObjectStore;
  /** The clock stamped on kept and replayed files. */
  readonly now?: () => Date;
}

/** Kept batches as JSON objects in an ObjectStore (S3 in the cloud, a folder offline). */
export class ObjectStoreKeptBatches implements KeptBatchStore {
  private readonly store: ObjectStore;
  private readonly now: () => Date;

  constructor(options: ObjectStoreKeptBatchesOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
  }

  /** The prefix under which a run's batches are kept: `failed/<run>/`. */
  static prefixOf(run: string): string {
    return `failed/${encodeURIComponent(run)}/`;
  }

  async keep(batch: KeptBatch): Promise<string> {
    const key = `${ObjectStoreKeptBatches.prefixOf(batch.run)}${batch.batchId}.json`;
    // Built as text so the events are written byte for byte as they were to be sent.
    const head = JSON.stringify({
      run: batch.run,
      batchId: batch.batchId,
      reason: batch.reason,
      ...(batch.status === undefined ? {} : { status: batch.status }),
      keptAt: this.now().toISOString(),
      eventCount: batch.events.length,
    });
    const body = `${head.slice(0, -1)},"events":[\n${batch.events.join(',\n')}\n]}\n`;
    await this.store.put(key, body, { contentType: 'application/json' });
    return key;
  }

  async *pending(prefix: string): AsyncIterable<string> {
    // Failed batches are few (each holds up to 2,500 events), so their keys fit in memory.
    const kept: string[] = [];
    const replayed = new Set<string>();
    for await (const { key } of this.store.list(prefix)) {
      if (key.endsWith(`.json${REPLAYED_SUFFIX}`)) replayed.add(key.slice(0, -REPLAYED_SUFFIX.length));
      else if (key.endsWith('.json')) kept.push(key);
    }
    for (const key of kept) if (!replayed.has(key)) yield key;
  }

  async read(key: string): Promise<KeptBatch> {
    const raw = await text(await this.store.get(key));
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new UserFacingError('is not a kept batch: not valid JSON', { location: key, cause: error });
    }
    const result = keptFile.safeParse(parsed);
    if (!result.success) {
      throw new UserFacingError(`is not a kept batch: ${z.prettifyError(result.error)}`, { location: key });
    }
    const { events, ...rest } = result.data;
    return { ...rest, events: events.map((event) => JSON.stringify(event)) };
  }

  async markReplayed(key: string): Promise<void> {
    await this.store.put(
      `${key}${REPLAYED_SUFFIX}`,
      JSON.stringify({ replayedAt: this.now().toISOString() }),
      {
        contentType: 'application/json',
      },
    );
  }
}

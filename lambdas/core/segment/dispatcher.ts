import type { KeptBatchStore } from '../ports/kept-batch-store';
import type { TraitSink } from '../ports/trait-sink';
import { addCounts, ZERO_COUNTS, type EventBatch, type SyncCounts } from './types';

/**
 * Sends batches with at most `window` in flight, counts what happened, and keeps what failed.
 * The window is what bounds memory: reading stops while it is full.
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private fatal: { error: unknown } | undefined;
  private tally: SyncCounts;

  constructor(
    private readonly options: {
      readonly run: string;
      readonly sink: TraitSink;
      readonly kept: KeptBatchStore;
      readonly window: number;
      readonly counts?: SyncCounts;
      /** Told each time a batch is settled. */
      readonly onSettled?: (counts: SyncCounts) => void;
    },
  ) {
    this.tally = options.counts ?? ZERO_COUNTS;
  }

  get counts(): SyncCounts {
    return this.tally;
  }

  /** Starts sending a batch; waits while the window is full. Throws once a send failed fatally. */
  async send(batch: EventBatch): Promise<void> {
    this.throwIfFatal();
    const delivery: Promise<void> = this.deliver(batch)
      .catch((error: unknown) => {
        this.fatal ??= { error };
      })
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    while (this.inFlight.size >= this.options.window) await Promise.race(this.inFlight);
    this.throwIfFatal();
  }

  /** Waits for every batch in flight. Throws the first fatal error, if any. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.throwIfFatal();
  }

  private async deliver(batch: EventBatch): Promise<void> {
    const count = batch.events.length;
    const outcome = await this.options.sink.send(batch);
    if (outcome.attempts > 1) this.add({ retried: outcome.attempts - 1 });
    if (outcome.delivered) {
      this.add({ sent: count });
      return;
    }
    this.add({ failed: count });
    // A failed write here throws: the run stops before its cursor moves past these events.
    await this.options.kept.keep({
      run: this.options.run,
      batchId: batch.id,
      reason: outcome.reason,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      events: batch.events,
    });
    this.add({ keptForReplay: count });
  }

  private add(delta: Partial<SyncCounts>): void {
    this.tally = addCounts(this.tally, { ...ZERO_COUNTS, ...delta });
    this.options.onSettled?.(this.tally);
  }

  private throwIfFatal(): void {
    if (this.fatal) throw this.fatal.error;
  }
}

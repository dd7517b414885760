import type { SendOutcome, TraitSink } from '../../../lambdas/core/ports/trait-sink';
import { skipBytes } from '../../../lambdas/core/segment/score-rows';
import type { ScoreSource } from '../../../lambdas/core/segment/sync-scores';
import type { EventBatch, IdentifyEvent, PropensityModel } from '../../../lambdas/core/segment/types';

/** A TraitSink that records what it is given and answers what the test scripts. */
export class RecordingSink implements TraitSink {
  readonly batches: EventBatch[] = [];
  inFlight = 0;
  peakInFlight = 0;

  constructor(
    private readonly answer: (
      batch: EventBatch,
      index: number,
    ) => SendOutcome | Promise<SendOutcome> = () => ({ delivered: true, attempts: 1 }),
  ) {}

  async send(batch: EventBatch): Promise<SendOutcome> {
    const index = this.batches.push(batch) - 1;
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await this.answer(batch, index);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Every event sent, parsed. */
  events(): IdentifyEvent[] {
    return this.batches.flatMap((batch) => batch.events.map((json) => JSON.parse(json) as IdentifyEvent));
  }
}

/** A score file in memory, served in small chunks so chunk boundaries fall mid-row. */
export function memorySource(model: PropensityModel, name: string, csv: string): ScoreSource {
  return {
    model,
    name,
    open: async (fromByte) => skipBytes(chunked(Buffer.from(csv), 37), fromByte),
  };
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** `customer_id,score` rows for customers c1..cN. */
export function scoresCsv(count: number, header = true): string {
  const rows = Array.from(
    { length: count },
    (_, index) => `c${index + 1},${((index % 100) / 100).toFixed(2)}`,
  );
  return `${header ? 'customer_id,score\n' : ''}${rows.join('\n')}\n`;
}

import { hash } from 'node:crypto';
import { SEGMENT_LIMITS, type SegmentLimits } from './limits';
import type { EventBatch, IdentifyEvent, RejectedEvent } from './types';

/** A `sentAt` has this many characters (ISO 8601, milliseconds, UTC) in years 0000–9999. */
const SENT_AT_LENGTH = '2000-01-01T00:00:00.000Z'.length;

/**
 * The exact request body for a batch. Built from the pre-serialized events, so its size is
 * known before it is built (`EventBatch.bodyBytes`).
 */
export function renderBatchBody(batch: EventBatch, sentAt: string): string {
  if (sentAt.length !== SENT_AT_LENGTH) throw new Error(`sentAt must be an ISO 8601 UTC time, got ${sentAt}`);
  return `{"batch":[${batch.events.join(',')}],"sentAt":"${sentAt}"}`;
}

const ENVELOPE_BYTES = Buffer.byteLength(
  renderBatchBody({ id: '', events: [], bodyBytes: 0 }, 'x'.repeat(SENT_AT_LENGTH)),
);

/** What adding an event produced: batches now full, and the event itself if it was refused. */
export interface BatchOutput {
  readonly batches: EventBatch[];
  readonly rejected?: RejectedEvent;
}

/**
 * Packs events into `/v1/batch` requests under Segment's limits, counting serialized bytes of
 * the request body exactly (UTF-8, commas and envelope included): Segment rejects a body over
 * 500 KB with a 400, and an event over 32 KB is refused here with its reason so it can be kept.
 *
 * Push-based (`add`, then `flush`) rather than a stream transform so the caller can stop between
 * any two rows and still know precisely which rows are in flight.
 */
export class BatchBuilder {
  private readonly limits: SegmentLimits;
  private events: string[] = [];
  private bytes = ENVELOPE_BYTES;
  private firstMessageId = '';
  private lastMessageId = '';

  constructor(limits: SegmentLimits = SEGMENT_LIMITS) {
    if (limits.maxEventBytes + ENVELOPE_BYTES > limits.maxBatchBytes) {
      throw new Error('maxBatchBytes must leave room for at least one event of maxEventBytes');
    }
    this.limits = limits;
  }

  /** Number of events waiting for the next batch. */
  get pending(): number {
    return this.events.length;
  }

  /** Adds an event; returns the batch it closed, if any, or the event's rejection. */
  add(event: IdentifyEvent): BatchOutput {
    const json = JSON.stringify(event);
    const size = Buffer.byteLength(json);
    if (size > this.limits.maxEventBytes) {
      return {
        batches: [],
        rejected: {
          event: json,
          messageId: event.messageId,
          reason:
            `the identify for user '${truncate(event.userId)}' is ${size} bytes, over Segment's ` +
            `${this.limits.maxEventBytes}-byte limit per event: shorten the user ID or trait names`,
        },
      };
    }
    const batches: EventBatch[] = [];
    const separator = this.events.length === 0 ? 0 : 1;
    if (
      this.events.length === this.limits.maxBatchEvents ||
      this.bytes + separator + size > this.limits.maxBatchBytes
    ) {
      batches.push(this.take());
    }
    if (this.events.length === 0) this.firstMessageId = event.messageId;
    else this.bytes += 1;
    this.events.push(json);
    this.bytes += size;
    this.lastMessageId = event.messageId;
    return { batches };
  }

  /** Closes the batch in progress; undefined when nothing is waiting. */
  flush(): EventBatch | undefined {
    return this.events.length === 0 ? undefined : this.take();
  }

  private take(): EventBatch {
    const events = this.events;
    const batch: EventBatch = {
      id: batchIdOf(this.firstMessageId, this.lastMessageId, events.length),
      events,
      bodyBytes: this.bytes,
    };
    this.events = [];
    this.bytes = ENVELOPE_BYTES;
    return batch;
  }
}

/** A short, stable id: the same events in the same order always give the same id. */
function batchIdOf(first: string, last: string, count: number): string {
  return hash('sha256', `${first}|${last}|${count}`, 'hex').slice(0, 20);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

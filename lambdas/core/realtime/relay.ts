import type { PutEventsSink } from '../ports/put-events-sink';
import { groupBySession, type SessionBatch, type Sourced } from './group-by-session';
import { mapTrack, type RelayMapping } from './map-track';

/**
 * Messages the relay function takes from the queue per invocation: a bigger batch groups more
 * events per session into one call, a smaller one retries less on a failure. The function sends
 * its calls one after the other, so 100 messages take at most 100 paced calls (≥ 1 s).
 */
export const RELAY_BATCH_SIZE = 100;

/** One queued Segment event: its queue message ID and body (the EventBridge event as JSON). */
export interface QueuedEvent {
  readonly id: string;
  readonly body: string;
}

export interface RelayOptions {
  readonly mapping: RelayMapping;
  readonly sink: PutEventsSink;
  /** Attempts per call when Personalize throttles or fails transiently (first try included). */
  readonly maxAttempts: number;
  /** First backoff; it doubles on each retry, with full jitter, capped at `maxBackoffMs`. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /**
   * Least time between two calls of this instance: with the function's reserved concurrency it
   * bounds the calls per second under the tracker's quota (10 ms × 10 instances = 1,000/s).
   */
  readonly minCallIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** A number in [0, 1) for the jitter. */
  readonly random: () => number;
}

export interface RelayResult {
  /** Events Personalize accepted. */
  readonly sent: number;
  /** PutEvents calls made, retries included. */
  readonly calls: number;
  /** Retries after throttling or a transient error. */
  readonly retries: number;
  /** Messages to return to the queue: a call still failed after its retries. */
  readonly failed: readonly string[];
  /** Messages that can never be sent, with the reason: they go to the dead-letter queue. */
  readonly rejected: readonly { readonly id: string; readonly reason: string }[];
}

/**
 * Relays one batch of queued Segment events to Personalize: maps each, groups them by session into
 * calls of at most 10, sends the calls one after the other (paced), retries throttling with
 * exponential backoff, and says which messages failed (back to the queue) and which can never be
 * sent (to the dead-letter queue with their reason). Nothing is dropped without a reason.
 */
export async function relayBatch(
  messages: readonly QueuedEvent[],
  options: RelayOptions,
): Promise<RelayResult> {
  const rejected = new Map<string, string>();
  const mapped: Sourced<string>[] = [];
  for (const message of messages) {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      rejected.set(message.id, 'the message body is not JSON');
      continue;
    }
    const outcome = mapTrack(body, options.mapping);
    if (!outcome.ok) rejected.set(message.id, outcome.reason);
    else for (const event of outcome.events) mapped.push({ ref: message.id, event });
  }

  const failed = new Set<string>();
  const counts = { sent: 0, calls: 0, retries: 0 };
  let lastCall = Number.NEGATIVE_INFINITY;
  const call: typeof options.sink.putEvents = async (request) => {
    const wait = lastCall + options.minCallIntervalMs - options.now();
    if (wait > 0) await options.sleep(wait);
    lastCall = options.now();
    counts.calls++;
    return options.sink.putEvents(request);
  };

  const send = async (batch: SessionBatch<string>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const outcome = await call(batch.request);
      if (outcome.status === 'sent') {
        counts.sent += batch.request.eventList.length;
        return;
      }
      if (outcome.status === 'invalid') {
        // One bad event refuses the whole call: send the others alone, so only it is rejected.
        if (batch.refs.length === 1)
          rejected.set(batch.refs[0]!, `Personalize refused it: ${outcome.reason}`);
        else for (const single of splitBatch(batch)) await send(single);
        return;
      }
      if (attempt >= options.maxAttempts) {
        for (const ref of batch.refs) failed.add(ref);
        return;
      }
      counts.retries++;
      const cap = Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** (attempt - 1));
      await options.sleep(Math.max(1, Math.floor(options.random() * cap)));
    }
  };

  for (const batch of groupBySession(mapped)) await send(batch);
  // A message rejected for good is not retried, even if another of its calls failed.
  for (const id of rejected.keys()) failed.delete(id);
  return {
    ...counts,
    failed: [...failed],
    rejected: [...rejected].map(([id, reason]) => ({ id, reason })),
  };
}

function splitBatch(batch: SessionBatch<string>): SessionBatch<string>[] {
  return batch.request.eventList.map((event, index) => ({
    request: { ...batch.request, eventList: [event] },
    refs: [batch.refs[index]!],
  }));
}

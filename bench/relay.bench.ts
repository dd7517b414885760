/**
 * Real-time relay throughput: Segment track events (EventBridge envelopes, as the queue delivers
 * them) mapped, validated, grouped by session and sent to a fake PutEvents client that answers at
 * once, in batches of the relay function's queue batch size.
 *
 *   npm run bench:relay -- [--events 1000000] [--batch 100] [--sessions 200] [--seed 7]
 *
 * The events are generated here, seeded: `--sessions` sessions are open at any time, each of 1 to
 * 30 events, interleaved at random the way concurrent visitors' events reach the queue.
 * Reported: events/s, PutEvents calls made against (a) the fewest the session grouping allows for
 * the same queue batches and (b) the fewest for the whole stream at once (no function sees that),
 * and peak memory.
 */
import { parseArgs } from 'node:util';
import type { PutEventsOutcome, PutEventsSink } from '../lambdas/core/ports/put-events-sink';
import { minimumCalls } from '../lambdas/core/realtime/group-by-session';
import { DEFAULT_EVENT_TYPES, DEFAULT_ITEM_ID_PATH } from '../lambdas/core/realtime/map-track';
import { PUT_EVENTS_LIMITS, type PutEventsRequest } from '../lambdas/core/realtime/personalize-event';
import { RELAY_BATCH_SIZE, relayBatch, type QueuedEvent } from '../lambdas/core/realtime/relay';
import { seededRandom } from '../lambdas/local/seeded-random';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: String(RELAY_BATCH_SIZE) },
    sessions: { type: 'string', default: '200' },
    seed: { type: 'string', default: '7' },
  },
});
const total = Number(args.events);
const batchSize = Number(args.batch);
const openSessions = Number(args.sessions);
const random = seededRandom(Number(args.seed));

const NAMES = [
  'Product Viewed',
  'Product Viewed',
  'Product Viewed',
  'Product Clicked',
  'Product Added',
  'Order Completed',
];
interface Session {
  readonly id: string;
  readonly userId: string | null;
  left: number;
}
let sessionCount = 0;
const newSession = (): Session => {
  sessionCount++;
  return {
    id: `anon-${sessionCount.toString(36).padStart(8, '0')}`,
    userId: random() < 0.6 ? `C${String(sessionCount).padStart(9, '0')}` : null,
    left: 1 + Math.floor(random() * 30),
  };
};
const open = Array.from({ length: openSessions }, newSession);
/** Events per (session, user) over the whole stream: the whole-stream minimum. */
const streamSizes = new Map<string, number>();

function nextEvent(index: number): { message: QueuedEvent; key: string } {
  const slot = Math.floor(random() * open.length);
  const session = open[slot]!;
  streamSizes.set(session.id, (streamSizes.get(session.id) ?? 0) + 1);
  const time = new Date(Date.UTC(2026, 10, 30) + index * 10).toISOString();
  const body = JSON.stringify({
    version: '0',
    id: `evt-${index}`,
    'detail-type': 'track',
    source: 'aws.partner/segment.com/BenchSource',
    account: '111122223333',
    time,
    region: 'eu-west-1',
    resources: [],
    detail: {
      type: 'track',
      event: NAMES[Math.floor(random() * NAMES.length)],
      messageId: `msg-${index}`,
      anonymousId: session.id,
      userId: session.userId,
      timestamp: time,
      properties: {
        product_id: `I${Math.floor(random() * 50_000)}`,
        price: Math.round(random() * 10_000) / 100,
      },
      context: { library: { name: 'analytics.js', version: '5.2.0' }, page: { path: '/products/x' } },
    },
  });
  if (--session.left === 0) open[slot] = newSession();
  return { message: { id: `m${index}`, body }, key: `${session.id}\u0000${session.userId ?? ''}` };
}

class FakeTracker implements PutEventsSink {
  calls = 0;
  events = 0;
  async putEvents(request: PutEventsRequest): Promise<PutEventsOutcome> {
    if (request.eventList.length > PUT_EVENTS_LIMITS.eventsPerCall)
      throw new Error('more than 10 events in a call');
    this.calls++;
    this.events += request.eventList.length;
    return { status: 'sent' };
  }
}

const tracker = new FakeTracker();
/** Events are generated a chunk at a time, outside the timed part, so generation and its garbage stay out of the rate. */
const CHUNK = 100_000;
let batchMinimum = 0;
let rejected = 0;
let failed = 0;
let peakRss = 0;
let peakHeap = 0;
let elapsedMs = 0;
let cpuMs = 0;
const mapping = { eventTypes: DEFAULT_EVENT_TYPES, itemIdPath: DEFAULT_ITEM_ID_PATH, eventValue: true };
for (let chunkStart = 0; chunkStart < total; chunkStart += CHUNK) {
  const batches: QueuedEvent[][] = [];
  for (let start = chunkStart; start < Math.min(total, chunkStart + CHUNK); start += batchSize) {
    const size = Math.min(batchSize, total - start, chunkStart + CHUNK - start);
    const perBatch = new Map<string, number>();
    const batch = Array.from({ length: size }, (_, i) => {
      const { message, key } = nextEvent(start + i);
      perBatch.set(key, (perBatch.get(key) ?? 0) + 1);
      return message;
    });
    batchMinimum += minimumCalls(perBatch.values());
    batches.push(batch);
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const batch of batches) {
    const result = await relayBatch(batch, {
      mapping,
      sink: tracker,
      maxAttempts: 5,
      baseBackoffMs: 100,
      maxBackoffMs: 5000,
      minCallIntervalMs: 0,
      sleep: async () => {},
      now: () => 0,
      random,
    });
    rejected += result.rejected.length;
    failed += result.failed.length;
  }
  const used = process.cpuUsage(c0);
  cpuMs += (used.user + used.system) / 1000;
  elapsedMs += performance.now() - t0;
  const memory = process.memoryUsage();
  peakRss = Math.max(peakRss, memory.rss);
  peakHeap = Math.max(peakHeap, memory.heapUsed);
}
const elapsed = elapsedMs / 1000;
const cpuSeconds = cpuMs / 1000;
const streamMinimum = minimumCalls(streamSizes.values());
const documentedEventsPerSecond = PUT_EVENTS_LIMITS.callsPerSecond * PUT_EVENTS_LIMITS.eventsPerCall;
const rate = tracker.events / elapsed;
const cpuRate = tracker.events / cpuSeconds;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const pct = (calls: number, minimum: number) => `${(((calls - minimum) / minimum) * 100).toFixed(2)} %`;

console.log(
  `relay bench: ${total.toLocaleString('en-US')} events, queue batches of ${batchSize}, ${openSessions} open sessions`,
);
console.log(
  `  sent ${tracker.events.toLocaleString('en-US')}, rejected ${rejected}, returned to the queue ${failed}`,
);
console.log(
  `  parse + map + validate + group + send (generation excluded): ${elapsed.toFixed(2)} s wall, ${Math.round(rate).toLocaleString('en-US')} events/s; ${cpuSeconds.toFixed(2)} s CPU, ${Math.round(cpuRate).toLocaleString('en-US')} events per CPU-second`,
);
console.log(
  `  tracker's documented ceiling: ${documentedEventsPerSecond.toLocaleString('en-US')} events/s (${PUT_EVENTS_LIMITS.callsPerSecond}/s × ${PUT_EVENTS_LIMITS.eventsPerCall}); core = ${(rate / documentedEventsPerSecond).toFixed(1)}× it by the wall clock, ${(cpuRate / documentedEventsPerSecond).toFixed(1)}× per CPU-second`,
);
console.log(`  PutEvents calls: ${tracker.calls.toLocaleString('en-US')}`);
console.log(
  `    fewest for the same queue batches: ${batchMinimum.toLocaleString('en-US')} (${pct(tracker.calls, batchMinimum)} over)`,
);
console.log(
  `    fewest for the whole stream at once: ${streamMinimum.toLocaleString('en-US')} (${pct(tracker.calls, streamMinimum)} over; no invocation sees the whole stream)`,
);
console.log(
  `  peak memory (a chunk of ${CHUNK.toLocaleString('en-US')} generated events included): RSS ${mb(peakRss)}, heap ${mb(peakHeap)}`,
);

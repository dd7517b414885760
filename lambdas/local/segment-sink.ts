import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { SEGMENT_LIMITS, type SegmentLimits } from '../core/segment/limits';
import { FaultPlan, type SinkFaults } from './segment-sink-faults';

/**
 * A stand-in for Segment's `/v1/batch` on 127.0.0.1, for tests, demos and the benchmark. It
 * applies Segment's rules as we understand them: Basic auth with the write key; 400 for a body
 * over 500 KB, invalid JSON, or any event over 32 KB; a 200 that silently drops a batch of more
 * than 2,500 events (recorded here, so a test can see it); de-duplication by messageId. It can
 * inject 500s, 429s with Retry-After, slow answers and connection resets, from a seeded PRNG.
 */
export interface SegmentSinkOptions {
  readonly writeKey: string;
  readonly limits?: SegmentLimits;
  readonly faults?: SinkFaults;
  /** Keep every unique event received, to inspect in tests. Default false (only messageIds). */
  readonly keepEvents?: boolean;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
}

export interface SegmentSinkStats {
  /** Requests received, whatever the answer. */
  readonly requests: number;
  /** Answers by HTTP status. */
  readonly statuses: Readonly<Record<number, number>>;
  /** Connections reset on purpose. */
  readonly resets: number;
  /** Events recorded (duplicates included). */
  readonly events: number;
  /** Distinct messageIds recorded. */
  readonly uniqueEvents: number;
  /** Events recorded again under a messageId already seen (Segment de-duplicates them). */
  readonly duplicateEvents: number;
  /** Requests answered 200 but dropped: more than `maxBatchEvents` events. */
  readonly droppedRequests: number;
  readonly droppedEvents: number;
  /** Most requests being handled at the same moment. */
  readonly peakConcurrency: number;
}

export interface SegmentSink {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  stats(): SegmentSinkStats;
  /** Every distinct messageId received. */
  messageIds(): ReadonlySet<string>;
  /** The distinct events received, when `keepEvents` is on. */
  events(): readonly Record<string, unknown>[];
  /** Why each rejected (4xx) request was rejected, in order. */
  rejections(): readonly string[];
  close(): Promise<void>;
}

export async function startSegmentSink(options: SegmentSinkOptions): Promise<SegmentSink> {
  const limits = options.limits ?? SEGMENT_LIMITS;
  const expectedAuth = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const plan = new FaultPlan(options.faults);
  const seen = new Set<string>();
  const kept: Record<string, unknown>[] = [];
  const rejections: string[] = [];
  const statuses: Record<number, number> = {};
  const counters = {
    requests: 0,
    resets: 0,
    events: 0,
    duplicateEvents: 0,
    droppedRequests: 0,
    droppedEvents: 0,
  };
  let active = 0;
  let peakConcurrency = 0;

  const answer = (
    res: ServerResponse,
    status: number,
    body: object,
    headers: Record<string, string> = {},
  ): void => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const reject = (res: ServerResponse, status: number, message: string): void => {
    rejections.push(message);
    answer(res, status, { success: false, message });
  };
  const record = (events: readonly Record<string, unknown>[]): void => {
    for (const event of events) {
      counters.events += 1;
      const id = String(event['messageId'] ?? '');
      if (seen.has(id)) counters.duplicateEvents += 1;
      else {
        seen.add(id);
        if (options.keepEvents) kept.push(event);
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests += 1;
    const body = await readBody(req, limits.maxBatchBytes);
    const { fault, delayMs } = plan.next();
    if (delayMs > 0) await delay(delayMs);
    if (req.method !== 'POST' || req.url !== '/v1/batch')
      return reject(res, 404, `no route ${req.method} ${req.url}`);
    if (req.headers.authorization !== expectedAuth) return reject(res, 401, 'missing or wrong write key');
    // Load shedding comes first, as at an edge: a 500 or 429 says nothing about the body.
    if (fault.kind === 'server-error')
      return answer(res, 500, { success: false, message: 'injected failure' });
    if (fault.kind === 'rate-limit') {
      return answer(
        res,
        429,
        { success: false, message: 'injected rate limit' },
        { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    if (body === undefined) return reject(res, 400, `request body over ${limits.maxBatchBytes} bytes`);
    let events: Record<string, unknown>[];
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { batch?: unknown };
      if (!Array.isArray(parsed.batch)) return reject(res, 400, 'the body has no batch array');
      events = parsed.batch as Record<string, unknown>[];
    } catch {
      return reject(res, 400, 'the body is not valid JSON');
    }
    if (body.length > limits.maxEventBytes) {
      const index = events.findIndex(
        (event) => Buffer.byteLength(JSON.stringify(event)) > limits.maxEventBytes,
      );
      if (index >= 0) return reject(res, 400, `event ${index} is over ${limits.maxEventBytes} bytes`);
    }
    if (fault.kind === 'reset') {
      if (fault.afterRecording && events.length <= limits.maxBatchEvents) record(events);
      counters.resets += 1;
      req.socket.destroy();
      return;
    }
    if (events.length > limits.maxBatchEvents) {
      // Segment's observed behaviour: a 200, and the batch never shows up.
      counters.droppedRequests += 1;
      counters.droppedEvents += events.length;
      return answer(res, 200, { success: true });
    }
    record(events);
    answer(res, 200, { success: true });
  };

  const server = createServer((req, res) => {
    active += 1;
    peakConcurrency = Math.max(peakConcurrency, active);
    handle(req, res)
      .catch(() => {
        if (!res.headersSent) answer(res, 500, { success: false, message: 'sink error' });
      })
      .finally(() => {
        active -= 1;
      });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counters, statuses: { ...statuses }, uniqueEvents: seen.size, peakConcurrency }),
    messageIds: () => seen,
    events: () => kept,
    rejections: () => rejections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The whole body, or undefined when it is over `maxBytes` (read to the end all the same, so the answer can be sent). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks, size);
}

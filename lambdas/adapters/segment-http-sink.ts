import pLimit, { type LimitFunction } from 'p-limit';
import pThrottle from 'p-throttle';
import { UserFacingError } from '../core/errors';
import { renderBatchBody } from '../core/segment/batcher';
import { SEGMENT_LIMITS, type SegmentLimits } from '../core/segment/limits';
import type { EventBatch } from '../core/segment/types';
import { DEFAULT_RETRY_POLICY, verdictFor, type RetryPolicy, type Verdict } from './segment-retry-policy';
import { withRetries } from './segment-retry-loop';
import type { SendOutcome, TraitSink } from '../core/ports/trait-sink';

/** Where a Segment workspace ingests: its data-processing region. */
export type SegmentRegion = 'us' | 'eu';

/**
 * Tracking API hosts per region. An EU workspace must use its own host: events sent to the US
 * one are answered 200 and never appear. Twilio's HTTP API page names eu1.api.segmentapis.com
 * for EU HTTP API sources; `SEGMENT_ENDPOINT` overrides either host.
 */
export const SEGMENT_ENDPOINTS: Readonly<Record<SegmentRegion, string>> = {
  us: 'https://api.segment.io',
  eu: 'https://eu1.api.segmentapis.com',
};

export interface SegmentHttpSinkOptions {
  /** The source's write key: the Basic auth user name (empty password). */
  readonly writeKey: string;
  /** Base URL; overrides `region` (the local sink, a proxy). */
  readonly endpoint?: string;
  /** Picks the endpoint when none is given. Default 'us'. */
  readonly region?: SegmentRegion;
  /** Requests in flight at once, retries and their waits included. Default 8. */
  readonly concurrency?: number;
  /** Ceiling on requests started per second, retries included. Segment allows ~1,000 per workspace; default 200 leaves room for the other sources. */
  readonly requestsPerSecond?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** How long to wait for an answer before counting the attempt as failed. Default 15 s. */
  readonly timeoutMs?: number;
  readonly limits?: SegmentLimits;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => Date;
  /**
   * Asked before each retry wait: true keeps the batch for replay instead of waiting. The Lambda
   * says true when the wait (plus one more request) would run past its time limit.
   */
  readonly mustGiveUp?: (delayMs: number) => boolean;
  /**
   * Connection failures in a row (no HTTP answer at all, across every batch) after which the
   * endpoint is taken for down: from then on every batch is given up at once, without a request,
   * and kept for replay, instead of each one waiting through its retries. Default 5: with the
   * default backoff, a run with a single batch in flight gives up after about 4–8 s.
   */
  readonly maxConsecutiveConnectionFailures?: number;
  /** Told of every retry, for logs and counters. */
  readonly onRetry?: (retry: { batchId: string; attempt: number; delayMs: number; reason: string }) => void;
}

/** Segment refused the write key: every batch would fail the same way, so the run stops. */
export class SegmentAuthError extends UserFacingError {
  constructor(status: number) {
    super(
      `Segment refused the write key (HTTP ${status}): check the write key of the HTTP API source and the region.`,
    );
  }
}

/** Sends batches to Segment's `/v1/batch` on global fetch: bounded concurrency, a rate ceiling, retries. */
export class SegmentHttpSink implements TraitSink {
  // ES private fields: the key never shows up when the sink is logged or serialized.
  readonly #authorization: string;
  private readonly url: string;
  private readonly limit: LimitFunction;
  private readonly post: (batch: EventBatch) => Promise<Verdict>;
  private readonly policy: RetryPolicy;
  private readonly options: SegmentHttpSinkOptions;
  private requestCount = 0;
  /** Attempts in a row that got no HTTP answer; any answer resets it. */
  private connectionFailures = 0;
  /** Set once the endpoint is taken for down: why, for every batch given up after that. */
  private unreachable: string | undefined;

  constructor(options: SegmentHttpSinkOptions) {
    this.options = { ...options, writeKey: '' };
    this.#authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
    const base = options.endpoint ?? SEGMENT_ENDPOINTS[options.region ?? 'us'];
    // Relative to the base's own path, so a proxy prefix (https://proxy.example.com/segment) is kept.
    this.url = new URL('v1/batch', base.endsWith('/') ? base : `${base}/`).toString();
    this.limit = pLimit(options.concurrency ?? 8);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const throttle = pThrottle({ limit: options.requestsPerSecond ?? 200, interval: 1000 });
    this.post = throttle((batch: EventBatch) => this.attempt(batch));
  }

  /** Batches sent at once. */
  get concurrency(): number {
    return this.limit.concurrency;
  }

  /** Why the endpoint was taken for down, once it was (see `maxConsecutiveConnectionFailures`). */
  get unreachableReason(): string | undefined {
    return this.unreachable;
  }

  /** HTTP requests made so far, retries included. */
  get requests(): number {
    return this.requestCount;
  }

  send(batch: EventBatch): Promise<SendOutcome> {
    return this.limit(() => this.sendWithRetries(batch));
  }

  private async sendWithRetries(batch: EventBatch): Promise<SendOutcome> {
    const outcome = await withRetries(() => this.post(batch), {
      policy: this.policy,
      sleep: this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      random: this.options.random ?? Math.random,
      mustGiveUp: this.options.mustGiveUp,
      onRetry: (retry) => this.options.onRetry?.({ batchId: batch.id, ...retry }),
      // Checked before the rate limiter, so a run against a dead endpoint ends without waiting.
      givenUp: () => this.unreachable,
      unauthorized: (status) => new SegmentAuthError(status),
    });
    if (outcome.delivered) return { delivered: true, attempts: outcome.attempts };
    return outcome;
  }

  /** One POST. Never throws for a network failure or an answer: it returns the verdict. */
  private async attempt(batch: EventBatch): Promise<Verdict> {
    const limits = this.options.limits ?? SEGMENT_LIMITS;
    const now = this.options.now ?? (() => new Date());
    const body = renderBatchBody(batch, now().toISOString());
    // The builder already sized the batch; this is the last line of defence, on the real body.
    const bytes = Buffer.byteLength(body);
    if (bytes > limits.maxBatchBytes || batch.events.length > limits.maxBatchEvents) {
      return {
        kind: 'give-up',
        reason: `the request would be ${bytes} bytes and ${batch.events.length} events, over Segment's ${limits.maxBatchBytes} bytes / ${limits.maxBatchEvents} events`,
      };
    }
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    this.requestCount += 1;
    try {
      const response = await (this.options.fetch ?? fetch)(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: this.#authorization,
          'user-agent': 'cdp-audiences',
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Reading the body, even a short one, frees the keep-alive connection for the next request.
      const text = await response.text();
      this.connectionFailures = 0;
      return verdictFor(
        response.status,
        response.headers.get('retry-after'),
        now().getTime(),
        response.ok ? '' : text,
      );
    } catch (error) {
      const reason = networkReason(error, timeoutMs);
      this.connectionFailures += 1;
      const most = this.options.maxConsecutiveConnectionFailures ?? 5;
      if (this.connectionFailures >= most && !this.unreachable) {
        this.unreachable = `Segment unreachable: ${most} connection failures in a row, the last: ${reason}; nothing more was sent`;
      }
      return this.unreachable ? { kind: 'give-up', reason: this.unreachable } : { kind: 'retry', reason };
    }
  }
}

/** Describes a failed request without its headers (they hold the credential). Shared with the Public API client. */
export function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer from Segment within ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error ? (error.cause as ConnectionCause | undefined) : undefined;
  return `network error talking to Segment${cause?.code ? ` (${describeCause(cause)})` : ''}`;
}

/** What undici puts in `cause`: a system error, or an AggregateError of one per address tried. */
interface ConnectionCause {
  readonly code?: string;
  readonly address?: string;
  readonly port?: number;
  readonly errors?: readonly ConnectionCause[];
}

/** `ECONNREFUSED 127.0.0.1:4100`: the code and where, never a header. */
function describeCause(cause: ConnectionCause): string {
  const where = cause.address ? cause : cause.errors?.find((error) => error.address);
  if (!where?.address) return cause.code!;
  return `${cause.code} ${where.address.includes(':') ? `[${where.address}]` : where.address}:${where.port}`;
}

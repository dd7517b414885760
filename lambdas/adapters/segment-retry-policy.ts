/**
 * When a `/v1/batch` answer is retried, and how long to wait. Pure: the clock and the randomness
 * come in as arguments so the policy can be tested without waiting.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Backoff before the first retry; it doubles with each retry. */
  readonly baseDelayMs: number;
  /** Ceiling of the exponential backoff. */
  readonly maxDelayMs: number;
  /** A 429 asking to wait longer than this gives the batch up (kept for replay) rather than stall the run. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 10,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** What to do with an answer (or the lack of one). */
export type Verdict =
  | { readonly kind: 'delivered'; readonly status: number }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'give-up'; readonly reason: string; readonly status?: number }
  | { readonly kind: 'unauthorized'; readonly status: number };

/**
 * 2xx delivered. 429 (honouring Retry-After), 408 and 5xx are retried: Segment's edge sheds load
 * with them and the messageIds make a repeat harmless. 401/403 mean the write key is wrong for
 * every batch. Any other 4xx (400: malformed or over a size limit) would fail again the same way.
 * 501 and 505 are answers about the protocol, not load, so they are not retried either.
 */
export function verdictFor(status: number, retryAfter: string | null, nowMs: number, body = ''): Verdict {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const detail = body.trim() === '' ? '' : `: ${body.trim().slice(0, 200)}`;
  if (status === 401 || status === 403) return { kind: 'unauthorized', status };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return {
      kind: 'retry',
      status,
      reason: `Segment rate-limited the request (HTTP 429)${detail}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) {
    return { kind: 'retry', status, reason: `Segment answered HTTP ${status}${detail}` };
  }
  return { kind: 'give-up', status, reason: `Segment refused the batch with HTTP ${status}${detail}` };
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so concurrent
 * senders that failed together do not retry together. `retry` counts from 1.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

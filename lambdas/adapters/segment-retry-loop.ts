import pRetry, { AbortError } from 'p-retry';
import { backoffDelay, type RetryPolicy, type Verdict } from './segment-retry-policy';

/** How one call fared after every retry it was allowed. */
export type RetriedOutcome =
  | { readonly delivered: true; readonly attempts: number; readonly status: number }
  | {
      readonly delivered: false;
      readonly attempts: number;
      /** Why it was given up, in words a person can act on. Never contains a credential. */
      readonly reason: string;
      /** The last HTTP status, when there was an answer. */
      readonly status?: number;
    };

export interface RetryLoopOptions {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Asked before each retry wait: true gives the call up (kept for replay by the caller) instead of waiting. */
  readonly mustGiveUp?: (delayMs: number) => boolean;
  /** Told of every retry, for logs and counters. */
  readonly onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
  /** Checked before each attempt: a reason here gives the call up at once, without a request. */
  readonly givenUp?: () => string | undefined;
  /** The error thrown on 401/403: a refused credential fails every call alike, so the caller stops. */
  readonly unauthorized: (status: number) => Error;
}

/** The attempt failed in a way worth another try. */
class RetryableAttempt extends Error {
  constructor(readonly verdict: Extract<Verdict, { kind: 'retry' }>) {
    super(verdict.reason);
  }
}

/** The call will not be accepted as it is. */
class GiveUp extends Error {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
  }
}

/**
 * Runs one Segment HTTP call until it is delivered or given up, by the verdicts of
 * `segment-retry-policy.ts`: Retry-After (or a jittered backoff) between attempts, a wait longer
 * than `maxRetryAfterMs` given up rather than stalling the run. Shared by the `/v1/batch` sink and
 * the Public API regulations client, so both retry the same way. Rejects only with `unauthorized`.
 */
export async function withRetries(
  attempt: () => Promise<Verdict>,
  options: RetryLoopOptions,
): Promise<RetriedOutcome> {
  const { policy } = options;
  let attempts = 0;
  let deliveredStatus = 0;
  try {
    await pRetry(
      async () => {
        const down = options.givenUp?.();
        if (down) throw new AbortError(new GiveUp(down));
        attempts += 1;
        const verdict = await attempt();
        if (verdict.kind === 'delivered') {
          deliveredStatus = verdict.status;
          return;
        }
        if (verdict.kind === 'unauthorized') throw new AbortError(options.unauthorized(verdict.status));
        if (verdict.kind === 'give-up') throw new AbortError(new GiveUp(verdict.reason, verdict.status));
        if ((verdict.retryAfterMs ?? 0) > policy.maxRetryAfterMs) {
          const seconds = Math.round(verdict.retryAfterMs! / 1000);
          throw new AbortError(
            new GiveUp(
              `${verdict.reason}; Segment asked to wait ${seconds} s, longer than allowed`,
              verdict.status,
            ),
          );
        }
        throw new RetryableAttempt(verdict);
      },
      {
        retries: policy.retries,
        // The waits are ours (Retry-After or jittered backoff, through the injectable sleep).
        minTimeout: 0,
        shouldRetry: ({ error }) => error instanceof RetryableAttempt,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof RetryableAttempt) || retriesLeft === 0) return;
          const delayMs = error.verdict.retryAfterMs ?? backoffDelay(attemptNumber, policy, options.random);
          if (options.mustGiveUp?.(delayMs)) {
            // Thrown from here, p-retry stops and rejects with it: the call is kept, not lost.
            throw new GiveUp(
              `${error.verdict.reason}; no time left in this run to wait ${Math.ceil(delayMs / 1000)} s and retry`,
              error.verdict.status,
            );
          }
          options.onRetry?.({ attempt: attemptNumber, delayMs, reason: error.verdict.reason });
          await options.sleep(delayMs);
        },
      },
    );
    return { delivered: true, attempts, status: deliveredStatus };
  } catch (error) {
    if (error instanceof GiveUp)
      return { delivered: false, attempts, reason: error.reason, ...statusOf(error.status) };
    if (error instanceof RetryableAttempt) {
      const reason = `gave up after ${attempts} attempts: ${error.verdict.reason}`;
      return { delivered: false, attempts, reason, ...statusOf(error.verdict.status) };
    }
    throw error;
  }
}

function statusOf(status: number | undefined): { status?: number } {
  return status === undefined ? {} : { status };
}

import {
  MembershipWriteError,
  type AudienceMembership,
  type AudienceTarget,
  type FailedChangeStore,
  type MembershipChange,
} from '../ports/audience-membership';

/**
 * Writes changes through the port with a client-side rate limit, retries, and a kept record of
 * every change that still failed. The Customer Profiles quota is per account and region (100 TPS
 * for PutProfileObject by default), shared with every other writer, so the limit is the caller's.
 */
export interface ApplyOptions {
  /** Writes started per second at most (token bucket, burst = one second's worth). */
  readonly ratePerSecond: number;
  /** Writes in flight at once. */
  readonly concurrency: number;
  /** Attempts per change, the first included. */
  readonly maxAttempts: number;
  /** First back-off after a throttle (doubles each time, full jitter), ms. */
  readonly baseDelayMs: number;
  /** Longest back-off, ms. */
  readonly maxDelayMs: number;
  /** Injected so tests and the benchmark run without real waits. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** 0 ≤ x < 1; the jitter source. */
  readonly random: () => number;
}

export interface ApplyCounts {
  /** Changes written. */
  applied: number;
  /** Changes kept in the failed store. */
  failed: number;
  /** Attempts refused for rate, each retried or kept. */
  throttled: number;
  /** Attempts made (written + refused). */
  attempts: number;
}

/** Reads a change source to its end and writes every change; resolves when all have been written or kept. */
export async function applyChanges(
  target: AudienceTarget,
  changes: AsyncIterable<MembershipChange>,
  membership: AudienceMembership,
  failedStore: FailedChangeStore,
  options: ApplyOptions,
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { applied: 0, failed: 0, throttled: 0, attempts: 0 };
  const bucket = tokenBucket(options);

  const writeOne = async (change: MembershipChange): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      await bucket.take();
      counts.attempts++;
      try {
        await membership.write(target, change);
        counts.applied++;
        return;
      } catch (error) {
        const failure =
          error instanceof MembershipWriteError
            ? error
            : new MembershipWriteError('transient', error instanceof Error ? error.message : String(error));
        if (failure.kind === 'throttled') counts.throttled++;
        if (failure.kind === 'rejected' || attempt >= options.maxAttempts) {
          await failedStore.keep({
            ...change,
            audienceKey: target.audienceKey,
            reason: failure.message,
            failure: failure.kind,
            attempts: attempt,
          });
          counts.failed++;
          return;
        }
        const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
        await options.sleep(Math.floor(options.random() * ceiling));
      }
    }
  };

  // A fixed pool of workers pulling from one iterator: memory holds `concurrency` changes, whatever the total.
  const iterator = changes[Symbol.asyncIterator]();
  let done = false;
  const worker = async (): Promise<void> => {
    while (!done) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        return;
      }
      await writeOne(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return counts;
}

/** A token bucket over the injected clock; `take` waits until a token is there. */
function tokenBucket(options: Pick<ApplyOptions, 'ratePerSecond' | 'sleep' | 'now'>) {
  const capacity = Math.max(1, options.ratePerSecond);
  let tokens = capacity;
  let last = options.now();
  return {
    async take(): Promise<void> {
      for (;;) {
        const now = options.now();
        tokens = Math.min(capacity, tokens + ((now - last) * options.ratePerSecond) / 1000);
        last = now;
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        await options.sleep(Math.ceil(((1 - tokens) * 1000) / options.ratePerSecond));
      }
    },
  };
}

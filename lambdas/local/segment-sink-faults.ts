import { seededRandom } from './seeded-random';

/** Faults the local Segment sink injects, each a share of requests (0..1). */
export interface SinkFaults {
  /** Answer 500. */
  readonly serverErrorRate?: number;
  /** Answer 429 with `Retry-After: retryAfterSeconds`. */
  readonly rateLimitRate?: number;
  readonly retryAfterSeconds?: number;
  /** Reset the connection (`socket.destroy()`); half of these after the events were recorded. */
  readonly resetRate?: number;
  /** Wait `slowMs` before answering. */
  readonly slowRate?: number;
  readonly slowMs?: number;
  /** Seed of the random draws, so a run with faults can be reproduced. Default 1. */
  readonly seed?: number;
}

export type FaultDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'rate-limit'; readonly retryAfterSeconds: number }
  | { readonly kind: 'reset'; readonly afterRecording: boolean };

/** Draws the fault (and delay) of each request in arrival order. */
export class FaultPlan {
  private readonly random: () => number;

  constructor(private readonly faults: SinkFaults = {}) {
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** The fault for the next request. Always draws the same number of values, whatever the outcome. */
  next(): { readonly fault: FaultDecision; readonly delayMs: number } {
    const [kindDraw, halfDraw, slowDraw] = [this.random(), this.random(), this.random()];
    const { serverErrorRate = 0, rateLimitRate = 0, resetRate = 0 } = this.faults;
    const delayMs = slowDraw < (this.faults.slowRate ?? 0) ? (this.faults.slowMs ?? 1_000) : 0;
    if (kindDraw < resetRate) return { fault: { kind: 'reset', afterRecording: halfDraw < 0.5 }, delayMs };
    if (kindDraw < resetRate + serverErrorRate) return { fault: { kind: 'server-error' }, delayMs };
    if (kindDraw < resetRate + serverErrorRate + rateLimitRate) {
      return {
        fault: { kind: 'rate-limit', retryAfterSeconds: this.faults.retryAfterSeconds ?? 1 },
        delayMs,
      };
    }
    return { fault: { kind: 'none' }, delayMs };
  }
}

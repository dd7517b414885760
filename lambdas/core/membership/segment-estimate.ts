import type { AudienceMembership, AudienceTarget } from '../ports/audience-membership';

/**
 * After the changes are written: how many profiles Customer Profiles counts in the audience's
 * segment, against how many we expect. A difference beyond the tolerance is a warning in the event
 * and the email, never a silent success (profiles unknown to the domain, or writes in the
 * dead-letter queue, both make the segment smaller than the audience).
 */
export interface EstimateCheck {
  readonly expected: number;
  /** Absent when the estimate failed or did not finish within its polls. */
  readonly estimated?: number;
  readonly status: 'match' | 'mismatch' | 'unavailable';
  /** A sentence for the email when status is not `match`. */
  readonly warning?: string;
}

export interface EstimateOptions {
  /** Polls of GetSegmentEstimate at most. */
  readonly maxPolls: number;
  readonly pollIntervalMs: number;
  /** Allowed difference, as a share of the expected size (0.01 = 1 %). */
  readonly tolerance: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Compares an expected size with an estimate. */
export function compareEstimate(expected: number, estimated: number, tolerance: number): EstimateCheck {
  const difference = Math.abs(estimated - expected);
  if (difference <= Math.floor(expected * tolerance)) return { expected, estimated, status: 'match' };
  return {
    expected,
    estimated,
    status: 'mismatch',
    warning: `Customer Profiles counts ${estimated} profiles in the segment, ${expected} were expected (difference ${difference}, over the ${tolerance * 100} % tolerance). Profiles missing from the domain or writes kept in the dead-letter queue are the usual causes.`,
  };
}

/** Starts an estimate and polls it, at most `maxPolls` times, then compares. */
export async function checkSegmentSize(
  target: AudienceTarget,
  expected: number,
  membership: AudienceMembership,
  options: EstimateOptions,
): Promise<EstimateCheck> {
  const estimateId = await membership.startEstimate(target);
  for (let poll = 1; poll <= options.maxPolls; poll++) {
    const estimate = await membership.readEstimate(target, estimateId);
    if (estimate.status === 'SUCCEEDED') return compareEstimate(expected, estimate.size, options.tolerance);
    if (estimate.status === 'FAILED') {
      return {
        expected,
        status: 'unavailable',
        warning: `Customer Profiles could not estimate the segment's size: ${estimate.message}`,
      };
    }
    if (poll < options.maxPolls) await options.sleep(options.pollIntervalMs);
  }
  return {
    expected,
    status: 'unavailable',
    warning: `Customer Profiles had not finished estimating the segment's size after ${options.maxPolls} polls.`,
  };
}

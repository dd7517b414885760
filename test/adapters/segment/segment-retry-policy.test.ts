import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  verdictFor,
} from '../../../lambdas/adapters/segment-retry-policy';

const NOW = Date.parse('2026-05-01T10:00:00Z');

describe('verdictFor', () => {
  it.each([200, 201, 204])('counts HTTP %i as delivered', (status) => {
    expect(verdictFor(status, null, NOW).kind).toBe('delivered');
  });

  it.each([408, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(verdictFor(status, null, NOW).kind).toBe('retry');
  });

  it.each([400, 404, 413, 422, 501, 505])(
    'gives up on HTTP %i, which would fail again the same way',
    (status) => {
      expect(verdictFor(status, null, NOW).kind).toBe('give-up');
    },
  );

  it.each([401, 403])('reports HTTP %i as a refused write key', (status) => {
    expect(verdictFor(status, null, NOW)).toEqual({ kind: 'unauthorized', status });
  });

  it('carries the Retry-After of a 429 in milliseconds', () => {
    expect(verdictFor(429, '2', NOW)).toMatchObject({ kind: 'retry', retryAfterMs: 2_000 });
  });

  it('quotes the start of Segment’s answer in the reason', () => {
    expect(verdictFor(400, null, NOW, '{"success":false,"message":"too big"}')).toMatchObject({
      reason: 'Segment refused the batch with HTTP 400: {"success":false,"message":"too big"}',
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds, an HTTP date, and nothing from garbage', () => {
    // Act
    const values = [
      parseRetryAfter('1', NOW),
      parseRetryAfter('0.5', NOW),
      parseRetryAfter('Fri, 01 May 2026 10:00:30 GMT', NOW),
      parseRetryAfter('soon', NOW),
      parseRetryAfter(null, NOW),
    ];

    // Assess
    expect(values).toEqual([1_000, 500, 30_000, undefined, undefined]);
  });
});

describe('backoffDelay', () => {
  it('doubles each retry between half and all of the step, and stops growing at the ceiling', () => {
    // Act
    const lowest = [1, 2, 3, 10].map((retry) => backoffDelay(retry, DEFAULT_RETRY_POLICY, () => 0));
    const highest = [1, 2, 3, 10].map((retry) => backoffDelay(retry, DEFAULT_RETRY_POLICY, () => 1));

    // Assess
    expect(lowest).toEqual([250, 500, 1_000, 15_000]);
    expect(highest).toEqual([500, 1_000, 2_000, 30_000]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  buildIdentify,
  decileOf,
  DEFAULT_TRAIT_NAMES,
  messageIdFor,
} from '../../../lambdas/core/segment/traits';

describe('decileOf', () => {
  it('maps each tenth of the score range to its band, 1 lowest to 10 highest', () => {
    // Prepare
    const scores = [0, 0.05, 0.1, 0.1000001, 0.5, 0.95, 1];

    // Act
    const deciles = scores.map(decileOf);

    // Assess
    expect(deciles).toEqual([1, 1, 1, 2, 5, 10, 10]);
  });
});

const TRAITS = { churn_propensity: 0.4, churn_propensity_decile: 4 };

describe('messageIdFor', () => {
  it('gives the same id for the same customer, model and run, and a different one when any of them changes', () => {
    // Prepare
    const base = messageIdFor('cust-1', 'churn', 'run-1', TRAITS);

    // Act
    const again = messageIdFor('cust-1', 'churn', 'run-1', TRAITS);
    const others = [
      messageIdFor('cust-2', 'churn', 'run-1', TRAITS),
      messageIdFor('cust-1', 'repurchase', 'run-1', TRAITS),
      messageIdFor('cust-1', 'churn', 'run-2', TRAITS),
    ];

    // Assess
    expect(again).toBe(base);
    expect(new Set([base, ...others]).size).toBe(4);
  });

  it('gives a corrected score a new id, so Segment does not drop the correction as a repeat', () => {
    // Prepare
    const first = messageIdFor('cust-1', 'churn', 'run-1', TRAITS);

    // Act
    const corrected = messageIdFor('cust-1', 'churn', 'run-1', { ...TRAITS, churn_propensity: 0.45 });
    const reordered = messageIdFor('cust-1', 'churn', 'run-1', {
      churn_propensity_decile: 4,
      churn_propensity: 0.4,
    });

    // Assess
    expect(corrected).not.toBe(first);
    expect(reordered).toBe(first);
  });

  it('shapes the hash as a version-8 UUID', () => {
    // Act
    const id = messageIdFor('cust-1', 'churn', 'run-1', TRAITS);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('does not confuse parts that contain the separator of another', () => {
    // Act
    const first = messageIdFor('a|b', 'churn', 'c', TRAITS);
    const second = messageIdFor('a', 'churn', 'b|c', TRAITS);

    // Assess
    expect(first).not.toBe(second);
  });
});

describe('buildIdentify', () => {
  it('writes the model score, its decile and the scoring time as traits, timestamped at scoring time', () => {
    // Act
    const event = buildIdentify({
      customerId: 'cust-7',
      score: 0.83,
      model: 'churn',
      run: 'r1',
      scoredAt: '2026-05-01T10:00:00.000Z',
    });

    // Assess
    expect(event).toEqual({
      type: 'identify',
      userId: 'cust-7',
      messageId: messageIdFor('cust-7', 'churn', 'r1', {
        churn_propensity: 0.83,
        churn_propensity_decile: 9,
        propensity_scored_at: '2026-05-01T10:00:00.000Z',
      }),
      timestamp: '2026-05-01T10:00:00.000Z',
      traits: {
        churn_propensity: 0.83,
        churn_propensity_decile: 9,
        propensity_scored_at: '2026-05-01T10:00:00.000Z',
      },
    });
  });

  it('uses the configured trait names', () => {
    // Prepare
    const traitNames = {
      ...DEFAULT_TRAIT_NAMES,
      repurchase: { score: 'p_rebuy', decile: 'p_rebuy_band' },
      scoredAt: 'scored_at',
    };

    // Act
    const event = buildIdentify({
      customerId: 'c',
      score: 0.2,
      model: 'repurchase',
      run: 'r',
      scoredAt: '2026-05-01T10:00:00.000Z',
      traitNames,
    });

    // Assess
    expect(event.traits).toEqual({ p_rebuy: 0.2, p_rebuy_band: 2, scored_at: '2026-05-01T10:00:00.000Z' });
  });
});

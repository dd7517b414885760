import { describe, expect, it } from 'vitest';
import { qualityGate } from '../../../lambdas/core/propensity/quality-gate';

const trained = (churn?: number, repurchase?: number) => [
  {
    model: 'churn' as const,
    trainingJobName: 'cdp-ps-churn-x',
    finalMetrics: [
      { MetricName: 'train:auc', Value: 0.99 },
      ...(churn === undefined ? [] : [{ MetricName: 'validation:auc', Value: churn }]),
    ],
  },
  {
    model: 'repurchase' as const,
    trainingJobName: 'cdp-ps-repurchase-x',
    finalMetrics: repurchase === undefined ? [] : [{ MetricName: 'validation:auc', Value: repurchase }],
  },
];

describe('the propensity quality gate', () => {
  it('passes when both validation AUCs reach the floor, reading validation:auc and not train:auc', () => {
    const decision = qualityGate(trained(0.65, 0.7), 0.65);

    expect(decision.passed).toBe(true);
    expect(decision.models.map((m) => m.auc)).toEqual([0.65, 0.7]);
  });

  it('refuses when one model is below the floor, and says which with its figure', () => {
    const decision = qualityGate(trained(0.8, 0.649), 0.65);

    expect(decision.passed).toBe(false);
    expect(decision.reason).toBe(
      'The repurchase model reached a validation AUC of 0.649, below the floor of 0.65.',
    );
  });

  it('refuses when a job reported no validation AUC', () => {
    const decision = qualityGate(trained(undefined, 0.9), 0.65);

    expect(decision.passed).toBe(false);
    expect(decision.models[0]).toMatchObject({ auc: null, passed: false });
  });
});

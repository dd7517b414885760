import type { PropensityModelName } from './athena-export';

/**
 * The quality gate of the cloud run: each model's validation AUC, as the training job reported it
 * (DescribeTrainingJob `FinalMetricDataList`, metric `validation:auc`, which the built-in XGBoost
 * emits with `eval_metric=auc` and a validation channel), against a floor. One model below the
 * floor, or without the figure, stops the whole run: nothing is published.
 */

export const DEFAULT_AUC_FLOOR = 0.65;
export const VALIDATION_AUC_METRIC = 'validation:auc';

export interface TrainedModel {
  readonly model: PropensityModelName;
  readonly trainingJobName: string;
  readonly finalMetrics: readonly { readonly MetricName?: string; readonly Value?: number }[];
}

export interface GateFigure {
  readonly model: PropensityModelName;
  readonly trainingJobName: string;
  /** Null when the job reported no validation AUC. */
  readonly auc: number | null;
  readonly passed: boolean;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly floor: number;
  readonly models: GateFigure[];
  /** One sentence per model that failed, for the email. */
  readonly reason?: string;
}

export function qualityGate(trained: readonly TrainedModel[], floor: number): GateDecision {
  if (!(floor >= 0 && floor <= 1)) throw new Error(`the AUC floor ${floor} must be between 0 and 1`);
  const models = trained.map((t): GateFigure => {
    const value = t.finalMetrics.find((m) => m.MetricName === VALIDATION_AUC_METRIC)?.Value;
    const auc = typeof value === 'number' && Number.isFinite(value) ? value : null;
    return { model: t.model, trainingJobName: t.trainingJobName, auc, passed: auc !== null && auc >= floor };
  });
  const failed = models.filter((m) => !m.passed);
  if (failed.length === 0) return { passed: true, floor, models };
  const reason = failed
    .map((m) =>
      m.auc === null
        ? `The ${m.model} model reported no ${VALIDATION_AUC_METRIC}.`
        : `The ${m.model} model reached a validation AUC of ${m.auc.toFixed(3)}, below the floor of ${floor}.`,
    )
    .join(' ');
  return { passed: false, floor, models, reason };
}

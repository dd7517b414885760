import { z } from 'zod';
import { logger } from '../adapters/logger';
import { PROPENSITY_MODELS } from '../core/propensity/athena-export';
import { type GateDecision, qualityGate } from '../core/propensity/quality-gate';

const request = z.object({
  floor: z.number().min(0).max(1),
  trained: z.array(
    z.object({
      model: z.enum(PROPENSITY_MODELS),
      trainingJobName: z.string().min(1),
      finalMetrics: z
        .array(z.object({ MetricName: z.string().optional(), Value: z.number().optional() }).passthrough())
        .default([]),
    }),
  ),
});

/** Reads each model's validation AUC from its training job and decides whether the run may publish. */
export async function handler(event: unknown): Promise<GateDecision> {
  const { floor, trained } = request.parse(event);
  const decision = qualityGate(trained, floor);
  logger.info('propensity quality gate', { passed: decision.passed, floor, models: decision.models });
  return decision;
}

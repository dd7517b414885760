import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { publishEnv } from '../adapters/propensity-env';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { PROPENSITY_MODELS } from '../core/propensity/athena-export';
import { publishedEvents, type PublishedEvents, publishScores } from '../core/propensity/cloud-scores';

const s3 = new S3Client({});

const keyOf = (bucket: string) =>
  z.string().transform((uri, context) => {
    const prefix = `s3://${bucket}/`;
    if (uri.startsWith(prefix)) return uri.slice(prefix.length);
    context.addIssue({ code: 'custom', message: `${uri} is not in ${prefix}` });
    return z.NEVER;
  });

/**
 * Writes `scores/<run>/churn.csv`, `repurchase.csv` and `report.json` from the batch transform
 * outputs, and the win-back audience's `.out` line; returns the two events the workflow publishes.
 */
export async function handler(event: unknown): Promise<PublishedEvents> {
  const env = publishEnv.parse(process.env);
  const bucket = env.TRUSTED_BUCKET;
  const model = z.object({
    model: z.enum(PROPENSITY_MODELS),
    trainingJobName: z.string(),
    scored: keyOf(bucket),
    validated: keyOf(bucket),
    cutoffs: z.array(z.string()),
  });
  const request = z
    .object({
      executionArn: z.string().min(1),
      plan: z.object({
        run: z.string(),
        asOf: z.string(),
        scoring: keyOf(bucket),
        churn: model,
        repurchase: model,
      }),
      gate: z.object({ models: z.array(z.object({ model: z.enum(PROPENSITY_MODELS), auc: z.number() })) }),
      /** The training jobs' results: where each model.tar.gz is (for the feature importance). */
      trained: z.array(z.object({ model: z.enum(PROPENSITY_MODELS), modelArtifacts: keyOf(bucket) })),
      churnDays: z.number().int().positive(),
      repurchaseDays: z.number().int().positive(),
    })
    .parse(event);
  const { plan } = request;
  const aucOf = (name: string) => request.gate.models.find((m) => m.model === name)!.auc;
  const artifactOf = (name: string) => {
    const trained = request.trained.find((t) => t.model === name);
    if (!trained) throw new Error(`no training result for the ${name} model`);
    return trained.modelArtifacts;
  };
  const result = await publishScores(new S3ObjectStore({ client: s3, bucket }), {
    run: plan.run,
    asOf: plan.asOf,
    churnDays: request.churnDays,
    repurchaseDays: request.repurchaseDays,
    scoringPrefix: plan.scoring,
    winbackTopPercent: env.WINBACK_TOP_PERCENT,
    models: [plan.churn, plan.repurchase].map((m) => ({
      model: m.model,
      trainingJobName: m.trainingJobName,
      trainingAuc: aucOf(m.model),
      scoredPrefix: m.scored,
      validatedPrefix: m.validated,
      modelArtifact: artifactOf(m.model),
      cutoffs: m.cutoffs,
    })),
  });
  logger.info('propensity scores published', {
    run: plan.run,
    customersScored: result.customersScored,
    importance: result.importance,
  });
  return publishedEvents(bucket, result, request.executionArn, new Date());
}

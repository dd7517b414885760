import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { startEnv } from '../adapters/ingestion-env';
import { startExecutionOnce } from '../adapters/start-execution';
import { debounceWindowOf } from '../core/ingest/execution-names';

const sfn = new SFNClient({});

const env = z.object({ PROPENSITY_WINDOW_MINUTES: z.coerce.number().int().positive().default(60) });
const datasetIngested = z.object({ time: z.iso.datetime(), detail: z.object({ dataset: z.string() }) });

/**
 * Starts (at most) one propensity run per window of purchase files: every `Dataset Ingested` of a
 * window maps to the same execution name, which waits for the window's end before it scores.
 */
export async function handler(event: unknown): Promise<{ execution: string; result: string }> {
  const { STATE_MACHINE_ARN } = startEnv.parse(process.env);
  const { PROPENSITY_WINDOW_MINUTES } = env.parse(process.env);
  const { time, detail } = datasetIngested.parse(event);
  const window = debounceWindowOf('propensity', new Date(time), PROPENSITY_WINDOW_MINUTES);
  const result = await startExecutionOnce(sfn, STATE_MACHINE_ARN, window.name, window);
  logger.info('propensity workflow start', { dataset: detail.dataset, execution: window.name, result });
  return { execution: window.name, result };
}

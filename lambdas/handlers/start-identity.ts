import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { startEnv } from '../adapters/ingestion-env';
import { startExecutionOnce } from '../adapters/start-execution';
import { identityWindowOf } from '../core/ingest/execution-names';

const sfn = new SFNClient({});

const datasetIngested = z.object({ time: z.iso.datetime(), detail: z.object({ dataset: z.string() }) });

/**
 * Starts (at most) one identity run per window: every `Dataset Ingested` of a window maps to the
 * same execution name, and that execution waits for the window's end before it resolves, so a
 * batch of files dropped together is resolved once and emailed once.
 */
export async function handler(event: unknown): Promise<{ execution: string; result: string }> {
  const { STATE_MACHINE_ARN, IDENTITY_WINDOW_MINUTES } = startEnv.parse(process.env);
  const { time, detail } = datasetIngested.parse(event);
  const window = identityWindowOf(new Date(time), IDENTITY_WINDOW_MINUTES);
  const result = await startExecutionOnce(sfn, STATE_MACHINE_ARN, window.name, window);
  logger.info('identity workflow start', { dataset: detail.dataset, execution: window.name, result });
  return { execution: window.name, result };
}

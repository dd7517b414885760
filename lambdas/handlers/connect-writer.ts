import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { connectEnvSchema } from '../adapters/connect-env';
import { CustomerProfilesMembership } from '../adapters/customer-profiles-membership';
import { sendDeadLetters, type DeadLetter } from '../adapters/dead-letter-queue';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import {
  changeBatchSchema,
  failedReceipt,
  receiptKey,
  writeChangeBatch,
  type BatchReceipt,
} from '../core/membership';
import type { ChangeBatch } from '../core/ports/change-queue';

const envSchema = connectEnvSchema.extend({
  DEAD_LETTER_QUEUE_URL: z.string().min(1),
  /** This instance's share of the account's PutProfileObject quota (writes/s). */
  WRITES_PER_SECOND: z.coerce.number().positive(),
  /** The queue's maxReceiveCount: on that receive a batch that still fails is dead-lettered here. */
  MAX_RECEIVES: z.coerce.number().int().min(1),
});
// Read at the first invocation, not at import, so loading the bundle needs no environment.
let env: z.infer<typeof envSchema> | undefined;

const s3 = new S3Client({});
const sqs = new SQSClient({});
// One attempt per call: the core retries throttling with its own back-off, under the rate limit.
const profiles = new CustomerProfilesClient({ maxAttempts: 1 });

/** Back-off after a throttle: 200 ms doubling to 5 s, full jitter; 8 attempts per change. */
const APPLY = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

/**
 * Writes queued membership changes to Customer Profiles. Per batch: every change is written under
 * the rate limit and retried on throttling; a change that still fails goes to the dead-letter
 * queue with its user ID and the error; then the batch's receipt is put in S3, which is how the
 * workflow knows the batch is done. A batch that cannot be finished (S3 or SQS down) is returned
 * to the queue, and on its last receive dead-lettered whole, with a receipt that says so.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  env ??= envSchema.parse(process.env);
  const config = env;
  const state = new S3ObjectStore({
    client: s3,
    bucket: config.TRUSTED_BUCKET,
    prefix: config.CONNECT_STATE_PREFIX,
  });
  const membership = new CustomerProfilesMembership({
    client: profiles,
    domainName: config.DOMAIN_NAME,
    allowProfileCreation: config.ALLOW_PROFILE_CREATION,
  });
  const retry: string[] = [];
  const totals = { batches: 0, applied: 0, failed: 0, throttled: 0, unreadable: 0, returned: 0 };

  const finish = async (batch: ChangeBatch, receipt: BatchReceipt) => {
    const letters: DeadLetter[] = receipt.failures.map((failure, index) => ({
      id: String(index),
      body: JSON.stringify({ run: batch.run, ...failure }),
      reason: failure.reason,
    }));
    const unsent = await sendDeadLetters(sqs, config.DEAD_LETTER_QUEUE_URL, letters);
    if (unsent.length > 0) throw new Error(`${unsent.length} failed changes could not be dead-lettered`);
    await state.put(receiptKey(batch.run, batch.audienceKey, batch.batch), JSON.stringify(receipt), {
      contentType: 'application/json',
    });
  };

  for (const record of event.Records) {
    const parsed = changeBatchSchema.safeParse(parseJson(record.body));
    if (!parsed.success) {
      totals.unreadable++;
      const unsent = await sendDeadLetters(sqs, config.DEAD_LETTER_QUEUE_URL, [
        {
          id: record.messageId,
          body: record.body,
          reason: 'not a change batch: ' + parsed.error.message.slice(0, 200),
        },
      ]);
      retry.push(...unsent);
      continue;
    }
    const batch = parsed.data;
    try {
      const receipt = await writeChangeBatch(batch, membership, {
        ratePerSecond: config.WRITES_PER_SECOND,
        concurrency: Math.max(1, Math.ceil(config.WRITES_PER_SECOND / 10)),
        ...APPLY,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => performance.now(),
        random: Math.random,
      });
      await finish(batch, receipt);
      totals.batches++;
      totals.applied += receipt.writes.applied;
      totals.failed += receipt.writes.failed;
      totals.throttled += receipt.writes.throttled;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (receiveCount(record) < config.MAX_RECEIVES) {
        totals.returned++;
        retry.push(record.messageId);
        continue;
      }
      try {
        await finish(
          batch,
          failedReceipt(batch, `the writer gave up after ${receiveCount(record)} receives: ${message}`),
        );
        totals.failed += batch.changes.length;
      } catch {
        retry.push(record.messageId); // SQS's redrive then moves the batch to the dead-letter queue whole.
      }
    }
  }
  // Counts only: never user IDs in logs.
  logger.info('changes written', { messages: event.Records.length, ...totals });
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
}

function receiveCount(record: SQSRecord): number {
  return Number(record.attributes.ApproximateReceiveCount ?? '1');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

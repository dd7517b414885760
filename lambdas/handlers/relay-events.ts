import { PersonalizeEventsClient } from '@aws-sdk/client-personalize-events';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { sendDeadLetters } from '../adapters/dead-letter-queue';
import { logger } from '../adapters/logger';
import { PersonalizeEventSink } from '../adapters/personalize-event-sink';
import { relayBatch } from '../core/realtime/relay';

const envSchema = z.object({
  EVENT_TYPES: z.string().transform((json) => z.record(z.string(), z.string()).parse(JSON.parse(json))),
  ITEM_ID_PATH: z.string().min(1),
  EVENT_VALUE: z.enum(['true', 'false']).transform((value) => value === 'true'),
  TRACKING_ID_PARAMETER: z.string().min(1),
  DEAD_LETTER_QUEUE_URL: z.string().min(1),
  MIN_CALL_INTERVAL_MS: z.coerce.number().int().min(0),
});
// Read at the first invocation, not at import, so loading the bundle needs no environment.
let env: z.infer<typeof envSchema> | undefined;

const ssm = new SSMClient({});
const sqs = new SQSClient({});
// One attempt per send: the core retries throttling with its own backoff and counts it.
const sink = new PersonalizeEventSink(new PersonalizeEventsClient({ maxAttempts: 1 }), trackingId);
let cachedTrackingId: { value: string; at: number } | undefined;

/** The tracking ID the training workflow wrote to SSM, re-read every 5 minutes (a new tracker). */
async function trackingId(): Promise<string> {
  if (cachedTrackingId && Date.now() - cachedTrackingId.at < 300_000) return cachedTrackingId.value;
  const result = await ssm.send(new GetParameterCommand({ Name: env!.TRACKING_ID_PARAMETER }));
  cachedTrackingId = { value: z.string().min(1).parse(result.Parameter?.Value), at: Date.now() };
  return cachedTrackingId.value;
}

/** Relays a queue batch of Segment track events to Personalize; returns only the messages to retry. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  env ??= envSchema.parse(process.env);
  const messages = event.Records.map((record) => ({ id: record.messageId, body: record.body }));
  const result = await relayBatch(messages, {
    mapping: { eventTypes: env.EVENT_TYPES, itemIdPath: env.ITEM_ID_PATH, eventValue: env.EVENT_VALUE },
    sink,
    maxAttempts: 4,
    baseBackoffMs: 200,
    maxBackoffMs: 3_000,
    minCallIntervalMs: env.MIN_CALL_INTERVAL_MS,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => performance.now(),
    random: Math.random,
  });
  const bodies = new Map(messages.map((m) => [m.id, m.body]));
  const letters = result.rejected.map((r) => ({ ...r, body: bodies.get(r.id)! }));
  const unsent = await sendDeadLetters(sqs, env.DEAD_LETTER_QUEUE_URL, letters);
  // Counts only: `unsendable` feeds the metric filter and its alarm.
  logger.info('relayed', {
    messages: messages.length,
    sent: result.sent,
    calls: result.calls,
    retries: result.retries,
    returnedToQueue: result.failed.length + unsent.length,
    unsendable: letters.length - unsent.length,
  });
  return { batchItemFailures: [...result.failed, ...unsent].map((id) => ({ itemIdentifier: id })) };
}

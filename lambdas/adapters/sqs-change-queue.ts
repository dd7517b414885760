import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChangeBatch, ChangeQueue } from '../core/ports/change-queue';

/** Attempts for the entries SQS refuses in a SendMessageBatch (each retry sends only those). */
const MAX_SEND_ATTEMPTS = 5;

/**
 * The change queue on SQS: one message per batch of changes (JSON), sent ten at a time. An entry
 * SQS refuses is sent again, alone with the other refused ones; one refused five times is an error,
 * so the workflow's step fails and says so rather than lose the batch.
 */
export class SqsChangeQueue implements ChangeQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async send(batches: readonly ChangeBatch[]): Promise<void> {
    let waiting = [...batches];
    for (let attempt = 1; waiting.length > 0; attempt++) {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: waiting.map((batch, index) => ({ Id: String(index), MessageBody: JSON.stringify(batch) })),
        }),
      );
      const refused = (result.Failed ?? []).map((failure) => ({
        failure,
        batch: waiting[Number(failure.Id)]!,
      }));
      if (refused.length === 0) return;
      if (attempt >= MAX_SEND_ATTEMPTS) {
        const first = refused[0]!.failure;
        throw new Error(
          `SQS refused ${refused.length} change batches ${MAX_SEND_ATTEMPTS} times (${first.Code}: ${first.Message ?? 'no message'})`,
        );
      }
      waiting = refused.map((r) => r.batch);
      await this.sleep(100 * 2 ** attempt);
    }
  }
}

import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A message the relay can never send, with its original body and the reason. */
export interface DeadLetter {
  readonly id: string;
  readonly body: string;
  readonly reason: string;
}

/** SendMessageBatch takes at most 10 messages. */
const SQS_BATCH = 10;

/**
 * Puts unsendable events on the dead-letter queue themselves, with their reason as a message
 * attribute (`reason`), since a redrive by SQS would carry none. Returns the IDs it could not put
 * there, so they go back to the source queue rather than vanish.
 */
export async function sendDeadLetters(
  client: SQSClient,
  queueUrl: string,
  letters: readonly DeadLetter[],
): Promise<string[]> {
  const unsent: string[] = [];
  for (let start = 0; start < letters.length; start += SQS_BATCH) {
    const chunk = letters.slice(start, start + SQS_BATCH);
    try {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((letter, index) => ({
            Id: String(index),
            MessageBody: letter.body,
            MessageAttributes: { reason: { DataType: 'String', StringValue: letter.reason } },
          })),
        }),
      );
      for (const failure of result.Failed ?? []) unsent.push(chunk[Number(failure.Id)]!.id);
    } catch {
      unsent.push(...chunk.map((letter) => letter.id));
    }
  }
  return unsent;
}

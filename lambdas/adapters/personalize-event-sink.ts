import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import type { PutEventsOutcome, PutEventsSink } from '../core/ports/put-events-sink';
import type { PutEventsRequest } from '../core/realtime/personalize-event';

/**
 * PutEvents on a Personalize event tracker. The client must be built with `maxAttempts: 1`: the
 * relay core owns the retries (with backoff) so it can count them and give up within the batch.
 */
export class PersonalizeEventSink implements PutEventsSink {
  constructor(
    private readonly client: PersonalizeEventsClient,
    private readonly trackingId: () => Promise<string>,
  ) {}

  async putEvents(request: PutEventsRequest): Promise<PutEventsOutcome> {
    try {
      await this.client.send(
        new PutEventsCommand({
          trackingId: await this.trackingId(),
          sessionId: request.sessionId,
          userId: request.userId,
          eventList: request.eventList.map((event) => ({ ...event, sentAt: new Date(event.sentAt) })),
        }),
      );
      return { status: 'sent' };
    } catch (error) {
      return outcomeOf(error);
    }
  }
}

/**
 * Only InvalidInputException means the events themselves are refused. Throttling, server errors and
 * timeouts may pass later; so may a missing tracker or permission (a deployment being fixed): those
 * messages return to the queue, and its redrive and alarm catch them if they never pass.
 */
export function outcomeOf(error: unknown): PutEventsOutcome {
  const e = error as { name?: string; message?: string };
  const reason = `${e.name ?? 'Error'}: ${e.message ?? ''}`.slice(0, 500);
  if (e.name === 'InvalidInputException') return { status: 'invalid', reason };
  return { status: 'retry', reason };
}

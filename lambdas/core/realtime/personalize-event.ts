import { z } from 'zod';

/**
 * Amazon Personalize's documented PutEvents limits, checked before the call so an event that can
 * never be accepted is rejected with its reason instead of failing its whole call.
 *
 * - Field lengths: API reference, PutEvents and Event
 *   (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_PutEvents.html,
 *   https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_Event.html).
 * - Events per call, event size and call rate: "Amazon Personalize endpoints and quotas",
 *   Individual record import APIs (https://docs.aws.amazon.com/personalize/latest/dg/limits.html).
 */
export const PUT_EVENTS_LIMITS = {
  /** sessionId, userId, eventType, itemId, eventId: 1 to 256 characters. */
  idLength: 256,
  /** eventList: 1 to 10 events, all of one session (and one user). */
  eventsPerCall: 10,
  /** Maximum size of an event: 10 KB. */
  eventBytes: 10 * 1024,
  /** Maximum rate of PutEvents requests per dataset group (one event tracker): 1,000/second. */
  callsPerSecond: 1000,
} as const;

const id = (field: string) =>
  z
    .string()
    .min(1, { error: `${field} is empty` })
    .max(PUT_EVENTS_LIMITS.idLength, {
      error: `${field} is longer than ${PUT_EVENTS_LIMITS.idLength} characters`,
    });

/** One entry of PutEvents' eventList, as the core builds it (the adapter adds the tracking ID). */
export const personalizeEventSchema = z.object({
  eventId: id('eventId').optional(),
  eventType: id('eventType'),
  itemId: id('itemId'),
  /** Epoch milliseconds; the adapter turns it into the SDK's Date. */
  sentAt: z
    .number()
    .int()
    .min(0, { error: 'sentAt is before 1970' })
    .max(Date.UTC(9999, 11, 31), { error: 'sentAt is after year 9999' }),
  /** Float in the API: any finite number. */
  eventValue: z.number().refine(Number.isFinite, { error: 'eventValue is not a finite number' }).optional(),
});
export type PersonalizeEvent = z.infer<typeof personalizeEventSchema>;

/** One mapped Segment event: the Personalize event and the session (and user) it must be sent with. */
export const relayEventSchema = z.object({
  sessionId: id('sessionId'),
  userId: id('userId').optional(),
  event: personalizeEventSchema,
});
export type RelayEvent = z.infer<typeof relayEventSchema>;

/** One PutEvents call without its tracking ID: at most 10 events of one session and user. */
export interface PutEventsRequest {
  readonly sessionId: string;
  readonly userId?: string;
  readonly eventList: readonly PersonalizeEvent[];
}

/**
 * Checks a mapped event against the field limits. Returns the reason it can never be sent, or
 * undefined. The relay sends no `properties` or `impression`, so the field limits alone keep an
 * event far under the 10 KB event size (a test measures the largest one).
 */
export function rejectionOf(event: RelayEvent): string | undefined {
  const result = relayEventSchema.safeParse(event);
  if (result.success) return undefined;
  return result.error.issues.map((issue) => issue.message).join('; ');
}

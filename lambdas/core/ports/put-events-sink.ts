import type { PutEventsRequest } from '../realtime/personalize-event';

/**
 * What one PutEvents call came to: sent; `retry` (throttled, a server error, a timeout: the same
 * call may succeed later); or `invalid` (Personalize refused the input: it never will succeed).
 */
export type PutEventsOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'retry'; readonly reason: string }
  | { readonly status: 'invalid'; readonly reason: string };

/** Sends one PutEvents call to the event tracker (Personalize in the cloud, a fake in tests). */
export interface PutEventsSink {
  putEvents(request: PutEventsRequest): Promise<PutEventsOutcome>;
}

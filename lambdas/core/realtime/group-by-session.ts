import { PUT_EVENTS_LIMITS, type PutEventsRequest, type RelayEvent } from './personalize-event';

/** A mapped event with the reference of what it came from (an SQS message ID, a line number). */
export interface Sourced<R> {
  readonly ref: R;
  readonly event: RelayEvent;
}

/** One PutEvents call and the references of every event in it. */
export interface SessionBatch<R> {
  readonly request: PutEventsRequest;
  readonly refs: readonly R[];
}

/**
 * Groups events into PutEvents calls: all events of a call share one sessionId and one userId
 * (the call carries them once), and a call holds at most 10 events. Events keep their order
 * within a session. Calls made = Σ ⌈events of a (session, user) / 10⌉, the fewest possible.
 */
export function groupBySession<R>(events: Iterable<Sourced<R>>): SessionBatch<R>[] {
  const groups = new Map<string, Sourced<R>[]>();
  for (const sourced of events) {
    const key = `${sourced.event.sessionId}\u0000${sourced.event.userId ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(sourced);
    else groups.set(key, [sourced]);
  }
  const batches: SessionBatch<R>[] = [];
  for (const group of groups.values()) {
    const { sessionId, userId } = group[0]!.event;
    for (let start = 0; start < group.length; start += PUT_EVENTS_LIMITS.eventsPerCall) {
      const slice = group.slice(start, start + PUT_EVENTS_LIMITS.eventsPerCall);
      batches.push({
        request: {
          sessionId,
          ...(userId ? { userId } : {}),
          eventList: slice.map((s) => s.event.event),
        },
        refs: slice.map((s) => s.ref),
      });
    }
  }
  return batches;
}

/** The fewest PutEvents calls the events of one grouping window allow. */
export function minimumCalls(sessionSizes: Iterable<number>): number {
  let calls = 0;
  for (const size of sessionSizes) calls += Math.ceil(size / PUT_EVENTS_LIMITS.eventsPerCall);
  return calls;
}

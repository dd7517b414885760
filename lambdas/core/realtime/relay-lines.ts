import { mapTrack, type RelayMapping } from './map-track';
import type { RelayEvent } from './personalize-event';

/** Personalize's item interactions CSV, the columns the relay appends (TIMESTAMP in epoch seconds). */
export const INTERACTIONS_HEADER = ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'] as const;

/** One line of a Segment events file: its interaction rows, or why it has none. */
export type LineOutcome =
  | { readonly line: number; readonly rows: readonly (readonly [string, string, number, string])[] }
  | { readonly line: number; readonly reason: string };

/**
 * Maps a file of Segment events (one EventBridge event as JSON a line) with the relay's own mapping,
 * into rows of Personalize's interactions CSV. Blank lines are not events and are skipped; every
 * other line yields rows or a reason. An anonymous event has no USER_ID, which the CSV requires.
 */
export async function* interactionRowsOf(
  lines: AsyncIterable<string>,
  mapping: RelayMapping,
): AsyncGenerator<LineOutcome> {
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      yield { line, reason: 'not JSON' };
      continue;
    }
    const outcome = mapTrack(json, mapping);
    if (!outcome.ok) yield { line, reason: outcome.reason };
    else if (outcome.events.some((e) => !e.userId))
      yield {
        line,
        reason:
          'anonymous event (no userId): interactions.csv needs a USER_ID; the cloud relay sends it with its session',
      };
    else yield { line, rows: outcome.events.map(interactionRowOf) };
  }
}

function interactionRowOf(relayEvent: RelayEvent): readonly [string, string, number, string] {
  const { event } = relayEvent;
  return [relayEvent.userId!, event.itemId, Math.floor(event.sentAt / 1000), event.eventType];
}

import { csvRow } from '../activation/csv-file';
import type { ObjectStore } from '../ports/object-store';

/** The key of an audience's last applied members in the state store. */
export const appliedKey = (audienceKey: string) => `applied/${audienceKey}.csv`;

/**
 * Records the members the destination now has: this run's audience less the entries that failed,
 * plus the leaves that failed (those users are still IN). The next run diffs against this record,
 * so a failed change is sent again then. Failures are few (each was retried first), so their IDs
 * are held in memory; this run's IDs are streamed.
 */
export async function recordApplied(
  state: ObjectStore,
  audienceKey: string,
  current: () => AsyncIterable<string>,
  failedEnters: ReadonlySet<string>,
  failedLeaves: readonly string[],
): Promise<void> {
  await state.put(
    appliedKey(audienceKey),
    (async function* (): AsyncGenerator<string> {
      yield csvRow(['User.UserId']);
      for await (const userId of current()) if (!failedEnters.has(userId)) yield csvRow([userId]);
      for (const userId of failedLeaves) yield csvRow([userId]);
    })(),
    { contentType: 'text/csv' },
  );
}

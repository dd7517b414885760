import { hashId } from '../activation/id-bytes';
import { IdHashSet } from '../activation/id-hash-set';
import { holdoutRule, isHeldOutHash } from '../activation/holdout';
import type { MembershipChange } from '../ports/audience-membership';

/**
 * What changed in one audience between the run last applied to the destination and this one:
 *  - users in this run and not in the previous one enter;
 *  - users in the previous run and not in this one leave;
 *  - users in both stay and are not touched;
 *  - with no previous run, everyone enters;
 *  - a user on the hold-out side is never entered, whatever the files say (and leaves if it was in).
 *
 * Memory is bounded by the audiences' sizes in 64-bit hashes, not in strings: two IdHashSets
 * (8 bytes a slot at ≤ 70 % load, so ~23 MB for two 1M-user audiences), and the files are read as
 * streams: this run twice, the previous once. Two different IDs with the same 64-bit hash would be
 * taken for one user; for 10M users the chance of any such pair is about 3 in a million.
 */

/** The two runs of one audience, each readable as many times as asked. */
export interface AudienceRuns {
  /** This run's user IDs (the import file). */
  readonly current: () => AsyncIterable<string>;
  /** The user IDs last applied to the destination; absent on the first run. */
  readonly previous?: () => AsyncIterable<string>;
  /** The hold-out rule of this run (the same as the build's: audience key and percentage). */
  readonly holdout?: { readonly audienceKey: string; readonly percent: number };
}

export interface DiffCounts {
  entering: number;
  leaving: number;
  staying: number;
  /** Distinct users targeted in this run (hold-out excluded). */
  current: number;
  /** Distinct users of the previous run. */
  previous: number;
  /** IDs of this run's file that fell on the hold-out side and were not entered. */
  heldOut: number;
  firstRun: boolean;
}

export interface AudienceDiff {
  /** The changes, leaves first; iterate once. */
  readonly changes: AsyncIterable<MembershipChange>;
  /** Filled in as `changes` is read; final once it is exhausted. */
  readonly counts: Readonly<DiffCounts>;
}

export function diffAudience(runs: AudienceRuns): AudienceDiff {
  const counts: DiffCounts = {
    entering: 0,
    leaving: 0,
    staying: 0,
    current: 0,
    previous: 0,
    heldOut: 0,
    firstRun: runs.previous === undefined,
  };
  const rule = runs.holdout ? holdoutRule(runs.holdout.audienceKey, runs.holdout.percent) : undefined;

  async function* changes(): AsyncGenerator<MembershipChange> {
    const current = new IdHashSet();
    for await (const userId of runs.current()) {
      const [h1, h2] = hashId(userId);
      if (rule && isHeldOutHash(h2, rule)) counts.heldOut++;
      else current.add(h1, h2);
    }
    counts.current = current.size;

    const previous = new IdHashSet();
    if (runs.previous) {
      for await (const userId of runs.previous()) {
        const [h1, h2] = hashId(userId);
        if (!previous.add(h1, h2)) continue;
        if (!current.has(h1, h2)) {
          counts.leaving++;
          yield { userId, kind: 'leave' };
        }
      }
      counts.previous = previous.size;
    }

    for await (const userId of runs.current()) {
      const [h1, h2] = hashId(userId);
      if (rule && isHeldOutHash(h2, rule)) continue;
      // Added to `previous` once entered, so a repeated row is not entered twice.
      if (previous.add(h1, h2)) {
        counts.entering++;
        yield { userId, kind: 'enter' };
      }
    }
    counts.staying = counts.current - counts.entering;
  }

  return { changes: changes(), counts };
}

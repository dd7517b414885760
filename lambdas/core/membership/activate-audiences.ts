import type { ActivationManifest } from '../activation';
import { UserFacingError } from '../errors';
import type {
  AudienceMembership,
  FailedChange,
  FailedChangeStore,
  MembershipChange,
} from '../ports/audience-membership';
import type { ObjectStore } from '../ports/object-store';
import { applyChanges, type ApplyCounts, type ApplyOptions } from './apply-changes';
import { appliedKey, recordApplied } from './applied-record';
import { diffAudience, type DiffCounts } from './audience-diff';
import { readAudienceIds } from './audience-ids';
import { audienceTarget } from './audience-target';
import { checkSegmentSize, type EstimateCheck, type EstimateOptions } from './segment-estimate';

/**
 * Applies an activation run (an audience folder: `manifest.json` and its import files) to a live
 * destination, audience by audience:
 *
 *   prepare (object type, segment definition) → diff against the last applied run → write the
 *   changes → record what is now applied → check the segment's size.
 *
 * "Last applied" is kept by us, in the state store, as `applied/<audience key>.csv`: the members the
 * destination has now, i.e. this run's audience less the entries that failed plus the leaves that
 * failed. A failed change is therefore sent again by the next run, and kept meanwhile in the failed
 * store with its reason; the audience files themselves may expire (outputRetentionDays) without
 * breaking the next diff.
 */

export interface ActivateOptions {
  readonly apply: ApplyOptions;
  readonly estimate: EstimateOptions;
}

export interface AudienceOutcome {
  readonly name: string;
  readonly audienceKey: string;
  readonly segmentName: string;
  readonly diff: DiffCounts;
  readonly writes: ApplyCounts;
  readonly size: EstimateCheck;
}

export { appliedKey };

export async function activateAudiences(
  manifest: Pick<ActivationManifest, 'audiences' | 'holdoutPercent' | 'keyMode'>,
  audiences: ObjectStore,
  state: ObjectStore,
  membership: AudienceMembership,
  failed: FailedChangeStore,
  options: ActivateOptions,
  onAudience?: (outcome: AudienceOutcome) => void,
): Promise<AudienceOutcome[]> {
  if (manifest.keyMode !== 'userId') {
    throw new UserFacingError(
      'these audiences hold endpoint IDs; Customer Profiles needs user IDs (build them with --key userId)',
    );
  }
  const outcomes: AudienceOutcome[] = [];
  for (const audience of manifest.audiences) {
    const target = audienceTarget(audience.audienceKey);
    await membership.prepare(target);
    const importKey = audience.files.import;
    const ids = (store: ObjectStore, key: string) =>
      async function* () {
        yield* readAudienceIds(await store.get(key), key);
      };
    const previousKey = appliedKey(audience.audienceKey);
    const hasPrevious = (await state.head(previousKey)) !== undefined;
    const diff = diffAudience({
      current: ids(audiences, importKey),
      ...(hasPrevious ? { previous: ids(state, previousKey) } : {}),
      holdout: { audienceKey: audience.audienceKey, percent: manifest.holdoutPercent },
    });

    // Failures are few (they are retried first); their IDs are kept to correct the applied record.
    const failedEnters = new Set<string>();
    const failedLeaves: string[] = [];
    const store: FailedChangeStore = {
      keep: async (change: FailedChange) => {
        if (change.kind === 'enter') failedEnters.add(change.userId);
        else failedLeaves.push(change.userId);
        await failed.keep(change);
      },
    };
    const writes = await applyChanges(target, diff.changes, membership, store, options.apply);

    await recordApplied(state, audience.audienceKey, ids(audiences, importKey), failedEnters, failedLeaves);

    const size = await checkSegmentSize(target, diff.counts.current, membership, options.estimate);
    const outcome: AudienceOutcome = {
      name: audience.name,
      audienceKey: audience.audienceKey,
      segmentName: target.segmentName,
      diff: { ...diff.counts },
      writes,
      size,
    };
    onAudience?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

export type { MembershipChange };

import { type DetailOf, EVENTS } from '../events/catalog';
import type { IdentitySummary } from './identity-run';

/** The `Identities Resolved` detail of an identity run over the trusted bucket. */
export function identitiesResolvedOf(
  summary: IdentitySummary,
  trustedBucket: string,
): DetailOf<typeof EVENTS.identitiesResolved> {
  const at = (key: string) => ({ bucket: trustedBucket, key });
  return EVENTS.identitiesResolved.schema.parse({
    records: summary.records,
    bySource: summary.bySource,
    profiles: summary.profiles,
    merges: summary.merges,
    reviewPairs: summary.reviewPairs,
    sharedDevices: summary.sharedDevices,
    keptIds: summary.keptIds,
    identityMap: at(summary.outputs.identityMap),
    profilesTable: at(summary.outputs.profiles),
    review: at(summary.outputs.review),
  });
}

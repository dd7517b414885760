import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../lambdas/core/events/catalog';
import { identitiesResolvedOf } from '../../../lambdas/core/identity/identity-event';
import { resolveTrustedIdentities } from '../../../lambdas/core/identity/identity-run';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

describe('identitiesResolvedOf', () => {
  it('turns an identity summary into an Identities Resolved detail with full S3 locations', () => {
    const summary = {
      records: 10,
      bySource: { crm: 4, store: 3, web: 3 },
      profiles: 5,
      merges: { email: 2, phone: 1, 'signed-in': 1, probabilistic: 1 },
      reviewPairs: 2,
      sharedDevices: 0,
      genericContacts: 1,
      keptIds: 4,
      outputs: {
        identityMap: 'trusted/identity/identity_map/identity_map.parquet',
        profiles: 'trusted/identity/profiles/profiles.parquet',
        review: 'trusted/identity/review.csv',
      },
    };

    const detail = identitiesResolvedOf(summary, 'trusted-b');

    expect(detail).toEqual({
      records: 10,
      bySource: { crm: 4, store: 3, web: 3 },
      profiles: 5,
      merges: { email: 2, phone: 1, 'signed-in': 1, probabilistic: 1 },
      reviewPairs: 2,
      sharedDevices: 0,
      keptIds: 4,
      identityMap: { bucket: 'trusted-b', key: summary.outputs.identityMap },
      profilesTable: { bucket: 'trusted-b', key: summary.outputs.profiles },
      review: { bucket: 'trusted-b', key: summary.outputs.review },
    });
  });

  it('accepts what an identity run over an empty trusted zone returns', async () => {
    const summary = await resolveTrustedIdentities(new MemoryObjectStore());

    expect(EVENTS.identitiesResolved.schema.safeParse(identitiesResolvedOf(summary, 'b')).success).toBe(true);
  });
});

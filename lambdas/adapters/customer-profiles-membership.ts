import {
  CreateProfileCommand,
  CreateSegmentDefinitionCommand,
  CreateSegmentEstimateCommand,
  GetProfileObjectTypeCommand,
  GetSegmentDefinitionCommand,
  GetSegmentEstimateCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
  UpdateProfileCommand,
  type SegmentGroupStructure,
} from '@aws-sdk/client-customer-profiles';
import { MEMBER_VALUE } from '../core/membership';
import {
  MembershipWriteError,
  type AudienceMembership,
  type AudienceTarget,
  type MembershipChange,
  type SegmentEstimate,
} from '../core/ports/audience-membership';

/**
 * Audience membership in Amazon Connect Customer Profiles: `Attributes.aud_<audience>` is `IN` for a
 * member, and one segment definition per audience selects the profiles where it is.
 *
 * Two ways to write the attribute, both here so they can be measured on the same fake:
 *  - `object-type` (the default): an object type per audience maps `_source.membership` to the
 *    attribute and finds the profile by the profile key; one PutProfileObject per changed member.
 *    A member who leaves gets `OUT`: PutProfileObject cannot remove a mapped attribute, and the
 *    segment tests for `IN` only.
 *  - `search-update`: SearchProfiles on the key for the profile ID, then UpdateProfile; two calls
 *    per changed member, and a leave removes the attribute (an empty value removes it).
 *
 * Profiles are never created unless `allowProfileCreation` is set, so an audience cannot invent
 * customers the domain does not know.
 */

/** The slice of the SDK client used here; the fake (test/offline double) implements the same. */
export interface CustomerProfilesSender {
  send(command: object): Promise<unknown>;
}

/** The profile key our user IDs are matched against. */
export interface ProfileKey {
  /** Key name, e.g. `_account` (the standard key of AccountNumber) or a custom key of the domain. */
  readonly name: string;
  /** Where an object type puts the user ID on the profile, e.g. `_profile.AccountNumber`. */
  readonly target: string;
}

export const DEFAULT_PROFILE_KEY: ProfileKey = { name: '_account', target: '_profile.AccountNumber' };

export interface CustomerProfilesMembershipOptions {
  readonly client: CustomerProfilesSender;
  readonly domainName: string;
  readonly profileKey?: ProfileKey;
  readonly strategy?: 'object-type' | 'search-update';
  /** Create a profile for a user the domain does not know (off by default). */
  readonly allowProfileCreation?: boolean;
}

/** The object type of an audience (`cdp_aud_<audience>`, within the 255-character limit). */
export function objectTypeName(target: AudienceTarget): string {
  return `cdp_${target.attribute}`.slice(0, 255);
}

/** `Attributes.aud_<audience>` IN [`IN`]: a single value, far under the 50 a dimension may hold. */
export function segmentQuery(target: AudienceTarget): SegmentGroupStructure {
  return {
    Include: 'ALL',
    Groups: [
      {
        Type: 'ALL',
        Dimensions: [
          {
            ProfileAttributes: {
              Attributes: { [target.attribute]: { DimensionType: 'INCLUSIVE', Values: [MEMBER_VALUE] } },
            },
          },
        ],
      },
    ],
  };
}

/** Classifies an SDK (or fake) error for the retry policy. */
export function classify(error: unknown): MembershipWriteError {
  if (error instanceof MembershipWriteError) return error;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  if (e.name === 'ThrottlingException' || status === 429)
    return new MembershipWriteError('throttled', message, { cause: error });
  if (e.name === 'InternalServerException' || (status !== undefined && status >= 500) || status === undefined)
    return new MembershipWriteError('transient', message, { cause: error });
  return new MembershipWriteError('rejected', message, { cause: error });
}

function isNotFound(error: unknown): boolean {
  return (error as { name?: string }).name === 'ResourceNotFoundException';
}

export class CustomerProfilesMembership implements AudienceMembership {
  private readonly client: CustomerProfilesSender;
  private readonly domainName: string;
  private readonly key: ProfileKey;
  private readonly strategy: 'object-type' | 'search-update';
  private readonly allowProfileCreation: boolean;

  constructor(options: CustomerProfilesMembershipOptions) {
    this.client = options.client;
    this.domainName = options.domainName;
    this.key = options.profileKey ?? DEFAULT_PROFILE_KEY;
    this.strategy = options.strategy ?? 'object-type';
    this.allowProfileCreation = options.allowProfileCreation ?? false;
  }

  async prepare(target: AudienceTarget): Promise<void> {
    const DomainName = this.domainName;
    if (this.strategy === 'object-type') {
      const ObjectTypeName = objectTypeName(target);
      try {
        await this.client.send(new GetProfileObjectTypeCommand({ DomainName, ObjectTypeName }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await this.client.send(
          new PutProfileObjectTypeCommand({
            DomainName,
            ObjectTypeName,
            Description: `Membership of audience ${target.audienceKey}, written by cdp-audiences`,
            AllowProfileCreation: this.allowProfileCreation,
            Fields: {
              user_id: { Source: '_source.user_id', Target: this.key.target, ContentType: 'STRING' },
              membership: {
                Source: '_source.membership',
                Target: `_profile.Attributes.${target.attribute}`,
                ContentType: 'STRING',
              },
            },
            // PROFILE: the key finds the profile; UNIQUE: one object per user, rewritten in place.
            Keys: {
              [this.key.name]: [{ StandardIdentifiers: ['PROFILE', 'UNIQUE'], FieldNames: ['user_id'] }],
            },
          }),
        );
      }
    }
    try {
      await this.client.send(
        new GetSegmentDefinitionCommand({ DomainName, SegmentDefinitionName: target.segmentName }),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(
        new CreateSegmentDefinitionCommand({
          DomainName,
          SegmentDefinitionName: target.segmentName,
          DisplayName: `Audience ${target.audienceKey}`,
          Description: `Profiles whose ${target.attribute} is ${MEMBER_VALUE} (cdp-audiences)`,
          SegmentGroups: segmentQuery(target),
        }),
      );
    }
  }

  async write(target: AudienceTarget, change: MembershipChange): Promise<void> {
    try {
      if (this.strategy === 'object-type') await this.putObject(target, change);
      else await this.searchAndUpdate(target, change);
    } catch (error) {
      throw classify(error);
    }
  }

  private async putObject(target: AudienceTarget, change: MembershipChange): Promise<void> {
    await this.client.send(
      new PutProfileObjectCommand({
        DomainName: this.domainName,
        ObjectTypeName: objectTypeName(target),
        Object: JSON.stringify({
          user_id: change.userId,
          membership: change.kind === 'enter' ? MEMBER_VALUE : 'OUT',
        }),
      }),
    );
  }

  private async searchAndUpdate(target: AudienceTarget, change: MembershipChange): Promise<void> {
    const found = (await this.client.send(
      new SearchProfilesCommand({
        DomainName: this.domainName,
        KeyName: this.key.name,
        Values: [change.userId],
        MaxResults: 2,
      }),
    )) as { Items?: { ProfileId?: string }[] };
    const items = found.Items ?? [];
    if (items.length > 1)
      throw new MembershipWriteError('rejected', `${items.length} profiles share the key; none was changed`);
    const profileId = items[0]?.ProfileId;
    if (!profileId) {
      if (change.kind === 'leave') return; // No profile: nothing to clear.
      if (!this.allowProfileCreation)
        throw new MembershipWriteError('rejected', 'no profile has this key, and profile creation is off');
      await this.client.send(
        new CreateProfileCommand({
          DomainName: this.domainName,
          AccountNumber: change.userId,
          Attributes: { [target.attribute]: MEMBER_VALUE },
        }),
      );
      return;
    }
    await this.client.send(
      new UpdateProfileCommand({
        DomainName: this.domainName,
        ProfileId: profileId,
        // An empty value removes the attribute (UpdateProfile).
        Attributes: { [target.attribute]: change.kind === 'enter' ? MEMBER_VALUE : '' },
      }),
    );
  }

  async startEstimate(target: AudienceTarget): Promise<string> {
    const response = (await this.client.send(
      new CreateSegmentEstimateCommand({ DomainName: this.domainName, SegmentQuery: segmentQuery(target) }),
    )) as { EstimateId?: string };
    if (!response.EstimateId) throw new Error('CreateSegmentEstimate returned no EstimateId');
    return response.EstimateId;
  }

  async readEstimate(_target: AudienceTarget, estimateId: string): Promise<SegmentEstimate> {
    const response = (await this.client.send(
      new GetSegmentEstimateCommand({ DomainName: this.domainName, EstimateId: estimateId }),
    )) as { Status?: string; Estimate?: string; Message?: string };
    if (response.Status === 'SUCCEEDED') {
      // The estimate comes as text, e.g. "1024" (or "1,024"); digits only are kept.
      const size = Number((response.Estimate ?? '').replace(/[^0-9]/g, ''));
      if (!Number.isFinite(size) || response.Estimate === undefined)
        return { status: 'FAILED', message: `unreadable estimate "${response.Estimate}"` };
      return { status: 'SUCCEEDED', size };
    }
    if (response.Status === 'FAILED') return { status: 'FAILED', message: response.Message ?? 'no message' };
    return { status: 'RUNNING' };
  }
}

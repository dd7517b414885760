import {
  type CustomerProfilesClient,
  DeleteProfileCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { DeleteUserEndpointsCommand, type PinpointClient } from '@aws-sdk/client-pinpoint';
import type { DestinationEraser } from '../core/privacy/other-stores';

const isNotFound = (error: unknown): boolean =>
  ['ResourceNotFoundException', 'NotFoundException'].includes((error as { name?: string }).name ?? '');

/**
 * Erases a user from Amazon Connect Customer Profiles: SearchProfiles on the key the Connect
 * writer matches our user IDs on (`_account` by default), then DeleteProfile for each profile
 * found, which "deletes the standard customer profile and all data pertaining to the profile"
 * (https://docs.aws.amazon.com/connect/latest/APIReference/API_connect-customer-profiles_DeleteProfile.html).
 */
export class CustomerProfilesEraser implements DestinationEraser {
  readonly store: string;
  readonly action = 'deleted profiles';

  constructor(
    private readonly client: Pick<CustomerProfilesClient, 'send'>,
    private readonly domainName: string,
    private readonly keyName: string,
  ) {
    this.store = `Amazon Connect Customer Profiles (domain ${domainName})`;
  }

  async eraseUser(userId: string): Promise<number> {
    const profileIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new SearchProfilesCommand({
          DomainName: this.domainName,
          KeyName: this.keyName,
          Values: [userId],
          MaxResults: 100,
          NextToken: nextToken,
        }),
      );
      for (const item of page.Items ?? []) if (item.ProfileId) profileIds.push(item.ProfileId);
      nextToken = page.NextToken;
    } while (nextToken);
    let deleted = 0;
    for (const ProfileId of profileIds) {
      try {
        await this.client.send(new DeleteProfileCommand({ DomainName: this.domainName, ProfileId }));
        deleted += 1;
      } catch (error) {
        // Deleted meanwhile (a retry of the same request): it is gone, which is the goal.
        if (!isNotFound(error)) throw error;
      }
    }
    return deleted;
  }
}

/**
 * Erases a user from a legacy Pinpoint project: DeleteUserEndpoints removes every endpoint whose
 * `User.UserId` is the user's (the audience imports key endpoints by `User.UserId`).
 */
export class PinpointEraser implements DestinationEraser {
  readonly store: string;
  readonly action = 'deleted user endpoints';

  constructor(
    private readonly client: Pick<PinpointClient, 'send'>,
    private readonly applicationId: string,
  ) {
    this.store = `Amazon Pinpoint (project ${applicationId})`;
  }

  async eraseUser(userId: string): Promise<number> {
    try {
      const response = await this.client.send(
        new DeleteUserEndpointsCommand({ ApplicationId: this.applicationId, UserId: userId }),
      );
      return response.EndpointsResponse?.Item?.length ?? 0;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }
}

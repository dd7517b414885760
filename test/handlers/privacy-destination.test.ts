import {
  CustomerProfilesClient,
  DeleteProfileCommand,
  SearchProfilesCommand,
} from '@aws-sdk/client-customer-profiles';
import { DeleteUserEndpointsCommand, PinpointClient } from '@aws-sdk/client-pinpoint';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/handlers/privacy-destination';

const USERS_KEY = 'privacy/deletions/r1-erase/personalize-users.csv';
const s3 = mockClient(S3Client);
const profiles = mockClient(CustomerProfilesClient);
const pinpoint = mockClient(PinpointClient);

beforeEach(() => {
  s3.reset();
  profiles.reset();
  pinpoint.reset();
  s3.on(GetObjectCommand, { Bucket: 'trusted', Key: USERS_KEY }).resolves({
    Body: Readable.from([Buffer.from('USER_ID\nC1\nC2\nC3\n')]),
  } as never);
  vi.stubEnv('TRUSTED_BUCKET', 'trusted');
});
afterAll(() => vi.unstubAllEnvs());

describe('privacy-destination handler, Connect Customer Profiles', () => {
  beforeEach(() => {
    vi.stubEnv('DESTINATION', 'connect-customer-profiles');
    vi.stubEnv('DOMAIN_NAME', 'acme');
  });

  it('searches each user on the _account key and deletes every profile found; a DeleteProfile that throws is reported while the others go on', async () => {
    profiles
      .on(SearchProfilesCommand, { Values: ['C1'] })
      .resolves({ Items: [{ ProfileId: 'a'.repeat(32) }] });
    profiles
      .on(SearchProfilesCommand, { Values: ['C2'] })
      .resolvesOnce({ Items: [{ ProfileId: 'b'.repeat(32) }], NextToken: 't' })
      .resolvesOnce({ Items: [{ ProfileId: 'c'.repeat(32) }] });
    profiles
      .on(SearchProfilesCommand, { Values: ['C3'] })
      .resolves({ Items: [{ ProfileId: 'd'.repeat(32) }] });
    profiles.on(DeleteProfileCommand).resolves({ Message: 'ok' });
    profiles
      .on(DeleteProfileCommand, { ProfileId: 'd'.repeat(32) })
      .rejects(Object.assign(new Error('denied for C3'), { name: 'AccessDeniedException' }));

    const outcome = await handler({ usersKey: USERS_KEY });

    const searches = profiles.commandCalls(SearchProfilesCommand).map((c) => c.args[0].input);
    expect(searches[0]).toEqual({ DomainName: 'acme', KeyName: '_account', Values: ['C1'], MaxResults: 100 });
    expect(searches[2]).toMatchObject({ Values: ['C2'], NextToken: 't' });
    expect(profiles.commandCalls(DeleteProfileCommand).map((c) => c.args[0].input)).toEqual(
      ['a', 'b', 'c', 'd'].map((x) => ({ DomainName: 'acme', ProfileId: x.repeat(32) })),
    );
    expect(outcome).toEqual({
      store: 'Amazon Connect Customer Profiles (domain acme)',
      action: 'deleted profiles',
      rows: 3,
      status: 'failed',
      detail:
        '3 user ID(s) looked up, 0 not found, 1 failed (AccessDeniedException x1); send the request again to retry',
    });
  });

  it('counts a user with no profile as not found, and a profile already gone as done', async () => {
    profiles.on(SearchProfilesCommand).resolves({ Items: [] });
    profiles
      .on(SearchProfilesCommand, { Values: ['C2'] })
      .resolves({ Items: [{ ProfileId: 'e'.repeat(32) }] });
    profiles
      .on(DeleteProfileCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));

    const outcome = await handler({ usersKey: USERS_KEY });

    expect(outcome).toMatchObject({ status: 'done', rows: 0, detail: '3 user ID(s) looked up, 3 not found' });
  });

  it('refuses a key outside privacy/deletions/', async () => {
    await expect(handler({ usersKey: 'trusted/crm/customers.parquet' })).rejects.toThrow();
    expect(profiles.calls()).toHaveLength(0);
  });
});

describe('privacy-destination handler, Pinpoint (legacy)', () => {
  beforeEach(() => {
    vi.stubEnv('DESTINATION', 'pinpoint');
    vi.stubEnv('PINPOINT_APPLICATION_ID', 'f'.repeat(32));
  });

  it('deletes the user endpoints of each user ID, counting the endpoints', async () => {
    pinpoint
      .on(DeleteUserEndpointsCommand)
      .resolves({ EndpointsResponse: { Item: [{ Id: 'e1' }, { Id: 'e2' }] } });
    pinpoint
      .on(DeleteUserEndpointsCommand, { UserId: 'C2' })
      .rejects(Object.assign(new Error('no user'), { name: 'NotFoundException' }));

    const outcome = await handler({ usersKey: USERS_KEY });

    expect(pinpoint.commandCalls(DeleteUserEndpointsCommand).map((c) => c.args[0].input)).toEqual(
      ['C1', 'C2', 'C3'].map((UserId) => ({ ApplicationId: 'f'.repeat(32), UserId })),
    );
    expect(outcome).toEqual({
      store: `Amazon Pinpoint (project ${'f'.repeat(32)})`,
      action: 'deleted user endpoints',
      rows: 4,
      status: 'done',
      detail: '3 user ID(s) looked up, 1 not found',
    });
  });
});

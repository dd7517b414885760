import {
  CustomerProfilesClient,
  GetProfileObjectTypeCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-customer-profiles';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  CustomerProfilesMembership,
  objectTypeName,
  segmentQuery,
} from '../../lambdas/adapters/customer-profiles-membership';
import { applyChanges, audienceTarget, checkSegmentSize } from '../../lambdas/core/membership';
import type { FailedChange, MembershipChange } from '../../lambdas/core/ports/audience-membership';
import { FakeCustomerProfiles } from '../../lambdas/local/fake-customer-profiles';

const target = audienceTarget('genres-action');
const DOMAIN = 'cdp-test';

function domainWith(users: readonly string[], options: { throttleProbability?: number } = {}) {
  const fake = new FakeCustomerProfiles({ domainName: DOMAIN, rateScale: Infinity, ...options });
  for (const user of users) fake.addProfile('_account', user);
  return fake;
}

async function* changes(list: readonly MembershipChange[]) {
  yield* list;
}

const fast = {
  ratePerSecond: 1e9,
  concurrency: 8,
  maxAttempts: 8,
  baseDelayMs: 1,
  maxDelayMs: 4,
  sleep: async () => undefined,
  now: () => 0,
  random: () => 0.5,
};

function keeper() {
  const kept: FailedChange[] = [];
  return { kept, store: { keep: async (f: FailedChange) => void kept.push(f) } };
}

const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);

describe.each(['object-type', 'search-update'] as const)(
  'CustomerProfilesMembership (%s) on the fake',
  (strategy) => {
    it('creates what the audience needs once, and never recreates it', async () => {
      const fake = domainWith(users);
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });

      await membership.prepare(target);
      await membership.prepare(target);

      expect(fake.calls.get('CreateSegmentDefinition')).toBe(1);
      expect(fake.calls.get('PutProfileObjectType')).toBe(strategy === 'object-type' ? 1 : undefined);
    });

    it('makes entering users members and leaving users non-members', async () => {
      const fake = domainWith(users);
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
      await membership.prepare(target);
      const enter = users.slice(0, 10).map((userId) => ({ userId, kind: 'enter' as const }));
      await applyChanges(target, changes(enter), membership, keeper().store, fast);

      await applyChanges(
        target,
        changes([
          { userId: 'user-0', kind: 'leave' },
          { userId: 'user-20', kind: 'enter' },
        ]),
        membership,
        keeper().store,
        fast,
      );

      expect([...fake.membersOf(target.attribute)].sort()).toEqual([...users.slice(1, 10), 'user-20'].sort());
    });

    it(`makes ${strategy === 'object-type' ? 'one call' : 'two calls'} per changed member`, async () => {
      const fake = domainWith(users);
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
      await membership.prepare(target);

      const list = users.map((userId) => ({ userId, kind: 'enter' as const }));
      await applyChanges(target, changes(list), membership, keeper().store, fast);

      const profileCalls = ['PutProfileObject', 'SearchProfiles', 'UpdateProfile', 'CreateProfile'].reduce(
        (sum, api) => sum + (fake.calls.get(api) ?? 0),
        0,
      );
      expect(profileCalls).toBe(users.length * (strategy === 'object-type' ? 1 : 2));
    });

    it('loses nothing under throttling: retries until every change lands', async () => {
      const fake = domainWith(users, { throttleProbability: 0.3 });
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
      await membership.prepare(target);
      const { kept, store } = keeper();

      const counts = await applyChanges(
        target,
        changes(users.map((userId) => ({ userId, kind: 'enter' as const }))),
        membership,
        store,
        { ...fast, maxAttempts: 50 },
      );

      expect(counts.throttled).toBeGreaterThan(0);
      expect(counts.applied).toBe(users.length);
      expect(kept).toEqual([]);
      expect([...fake.membersOf(target.attribute)].sort()).toEqual([...users].sort());
    });

    it('keeps a change that stays throttled in the failed store with its user ID and reason', async () => {
      const fake = domainWith(users, { throttleProbability: 1 });
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
      await membership.prepare(target);
      const { kept, store } = keeper();

      const counts = await applyChanges(
        target,
        changes([{ userId: 'user-7', kind: 'enter' }]),
        membership,
        store,
        { ...fast, maxAttempts: 3 },
      );

      expect(counts).toMatchObject({ applied: 0, failed: 1, throttled: 3 });
      expect(kept).toEqual([
        expect.objectContaining({
          userId: 'user-7',
          failure: 'throttled',
          attempts: 3,
          reason: expect.stringMatching(/ThrottlingException/),
        }),
      ]);
    });

    it('creates no profile for an unknown user by default, and the size check says so', async () => {
      const fake = domainWith(users.slice(0, 40));
      const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN, strategy });
      await membership.prepare(target);
      const { kept, store } = keeper();

      await applyChanges(
        target,
        changes(users.map((userId) => ({ userId, kind: 'enter' as const }))),
        membership,
        store,
        fast,
      );
      const check = await checkSegmentSize(target, users.length, membership, {
        maxPolls: 5,
        pollIntervalMs: 0,
        tolerance: 0.01,
        sleep: async () => undefined,
      });

      expect(fake.profileCount).toBe(40);
      expect(check).toMatchObject({ status: 'mismatch', expected: 50, estimated: 40 });
      // SearchProfiles tells the missing profile apart; PutProfileObject does not.
      expect(kept.length).toBe(strategy === 'search-update' ? 10 : 0);
    });

    it('creates profiles when told to', async () => {
      const fake = domainWith([]);
      const membership = new CustomerProfilesMembership({
        client: fake,
        domainName: DOMAIN,
        strategy,
        allowProfileCreation: true,
      });
      await membership.prepare(target);

      await applyChanges(
        target,
        changes([{ userId: 'new-1', kind: 'enter' }]),
        membership,
        keeper().store,
        fast,
      );

      expect(fake.profileCount).toBe(1);
      expect([...fake.membersOf(target.attribute)]).toEqual(['new-1']);
    });
  },
);

describe('the fake enforces the documented limits', () => {
  it('refuses a key value over 255 characters', async () => {
    const fake = domainWith([]);
    const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN });
    await membership.prepare(target);

    await expect(membership.write(target, { userId: 'x'.repeat(256), kind: 'enter' })).rejects.toMatchObject({
      kind: 'rejected',
    });
  });

  it('refuses a 101st object type in a domain', async () => {
    const fake = domainWith([]);
    const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN });
    for (let i = 0; i < 100; i++) await membership.prepare(audienceTarget(`a${i}`));

    await expect(membership.prepare(audienceTarget('a100'))).rejects.toThrow(/at most 100 object types/);
  });

  it('refuses a segment dimension with more than 50 values', async () => {
    const fake = domainWith([]);
    const query = segmentQuery(target);
    const dimension = query.Groups![0]!.Dimensions![0]!.ProfileAttributes!.Attributes![target.attribute]!;
    dimension.Values = Array.from({ length: 51 }, (_, i) => `v${i}`);
    const { CreateSegmentDefinitionCommand } = await import('@aws-sdk/client-customer-profiles');

    await expect(
      fake.send(
        new CreateSegmentDefinitionCommand({
          DomainName: DOMAIN,
          SegmentDefinitionName: 'too-many',
          DisplayName: 'x',
          SegmentGroups: query,
        }),
      ),
    ).rejects.toThrow(/at most 50 values/);
  });

  it('refuses attribute values over 255 characters and invalid attribute keys', async () => {
    const fake = domainWith(['u1']);
    const { UpdateProfileCommand } = await import('@aws-sdk/client-customer-profiles');
    const update = (Attributes: Record<string, string>) =>
      fake.send(new UpdateProfileCommand({ DomainName: DOMAIN, ProfileId: 'p00000000', Attributes }));

    await expect(update({ aud_x: 'v'.repeat(256) })).rejects.toThrow(/1-255/);
    await expect(update({ '1bad': 'IN' })).rejects.toThrow(/not valid/);
    await expect(update({ aud_x: 'IN' })).resolves.toBeDefined();
  });

  it('throttles beyond the documented 100 PutProfileObject calls per second', async () => {
    let now = 0;
    const fake = new FakeCustomerProfiles({ domainName: DOMAIN, now: () => now });
    fake.addProfile('_account', 'u1');
    const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN });
    await membership.prepare(target);
    const put = () => membership.write(target, { userId: 'u1', kind: 'enter' });

    for (let i = 0; i < 100; i++) await put();
    await expect(put()).rejects.toMatchObject({ kind: 'throttled' });
    now += 10; // 10 ms later: one more token.
    await expect(put()).resolves.toBeUndefined();
  });

  it('keeps its domain in a folder across runs', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/fake-cp-`);
    const fake = domainWith(['u1', 'u2']);
    const membership = new CustomerProfilesMembership({ client: fake, domainName: DOMAIN });
    await membership.prepare(target);
    await membership.write(target, { userId: 'u2', kind: 'enter' });

    await fake.save(dir);
    const again = await FakeCustomerProfiles.load(dir, { domainName: DOMAIN, rateScale: Infinity });

    expect(again.profileCount).toBe(2);
    expect([...again.membersOf(target.attribute)]).toEqual(['u2']);
    await new CustomerProfilesMembership({ client: again, domainName: DOMAIN }).prepare(target);
    expect(again.calls.get('PutProfileObjectType')).toBeUndefined();
  });
});

describe('CustomerProfilesMembership with the SDK client', () => {
  it('sends the object of a member and classifies a ThrottlingException as throttled', async () => {
    const mock = mockClient(CustomerProfilesClient);
    mock
      .on(PutProfileObjectCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }))
      .resolves({ ProfileObjectUniqueKey: 'k' });
    const membership = new CustomerProfilesMembership({
      client: new CustomerProfilesClient({ region: 'eu-west-1', maxAttempts: 1 }),
      domainName: DOMAIN,
    });

    await expect(membership.write(target, { userId: 'u1', kind: 'enter' })).rejects.toMatchObject({
      kind: 'throttled',
    });
    await membership.write(target, { userId: 'u1', kind: 'leave' });

    const input = mock.commandCalls(PutProfileObjectCommand)[1]!.args[0].input;
    expect(input).toEqual({
      DomainName: DOMAIN,
      ObjectTypeName: objectTypeName(target),
      Object: JSON.stringify({ user_id: 'u1', membership: 'OUT' }),
    });
    mock.restore();
  });

  it('creates the object type with profile creation off when it is missing', async () => {
    const mock = mockClient(CustomerProfilesClient);
    mock.resolves({});
    mock
      .on(GetProfileObjectTypeCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    const membership = new CustomerProfilesMembership({
      client: new CustomerProfilesClient({ region: 'eu-west-1', maxAttempts: 1 }),
      domainName: DOMAIN,
    });

    await membership.prepare(target);

    const put = mock.commandCalls(PutProfileObjectTypeCommand)[0];
    expect(put?.args[0].input).toMatchObject({
      AllowProfileCreation: false,
      ObjectTypeName: 'cdp_aud_genres-action',
    });
    mock.restore();
  });
});

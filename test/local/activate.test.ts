import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audienceTarget } from '../../lambdas/core/membership';
import { activate, type ActivateCliOptions } from '../../lambdas/local/commands/activate';
import { toPinpoint } from '../../lambdas/local/commands/to-pinpoint';
import { FakeCustomerProfiles } from '../../lambdas/local/fake-customer-profiles';

const DOMAIN = 'cdp-local';
const action = audienceTarget('genres-action');

describe('cdp activate --destination connect-customer-profiles --local', () => {
  let dir: string;
  let out: { log: string[]; error: string[] };
  const io = { log: (line: string) => out.log.push(line), error: (line: string) => out.error.push(line) };
  const options = (more: Partial<ActivateCliOptions> = {}): ActivateCliOptions => ({
    destination: 'connect-customer-profiles',
    domain: DOMAIN,
    local: path.join(dir, 'domain'),
    rate: 1e6,
    concurrency: 8,
    createProfiles: false,
    strategy: 'object-type',
    tolerance: 0,
    ...more,
  });

  /** Builds an audience folder from a batch segment output with these users for the Action query. */
  async function audienceFolder(name: string, users: readonly string[]): Promise<string> {
    const input = path.join(dir, `${name}.out`);
    writeFileSync(
      input,
      `${JSON.stringify({ input: { itemAttributes: 'ITEMS.genres = "action"' }, output: { usersList: users } })}\n`,
    );
    const folder = path.join(dir, name);
    expect(
      await toPinpoint(
        input,
        { out: folder, key: 'userId', holdout: 10 },
        { log: () => undefined, error: () => undefined },
      ),
    ).toBe(0);
    return folder;
  }

  async function seedDomain(users: readonly string[]) {
    const fake = new FakeCustomerProfiles({ domainName: DOMAIN });
    for (const user of users) fake.addProfile('_account', user);
    await fake.save(path.join(dir, 'domain'));
  }

  const members = async () =>
    [
      ...(await FakeCustomerProfiles.load(path.join(dir, 'domain'), { domainName: DOMAIN })).membersOf(
        action.attribute,
      ),
    ].sort();

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'activate-'));
    out = { log: [], error: [] };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends everyone on the first run, then only who changed, and the segment equals the audience', async () => {
    const everyone = Array.from({ length: 300 }, (_, i) => `u${i}`);
    await seedDomain(everyone);
    const week1 = everyone.slice(0, 200);
    const week2 = [...everyone.slice(20, 200), ...everyone.slice(200, 230)];
    const first = await audienceFolder('week1', week1);
    const second = await audienceFolder('week2', week2);
    const targeted = (folder: string) =>
      readFileSync(path.join(folder, 'genres-action--' + path.basename(folder) + '.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .sort();

    expect(await activate(first, options(), io)).toBe(0);
    expect(await members()).toEqual(targeted(first));
    expect(out.log[0]).toMatch(/first run, \d+ entered, 0 left/);

    expect(await activate(second, options(), io)).toBe(0);
    expect(await members()).toEqual(targeted(second));
    const left = targeted(first).filter((u) => !targeted(second).includes(u)).length;
    const entered = targeted(second).filter((u) => !targeted(first).includes(u)).length;
    expect(out.log[1]).toContain(`${entered} entered, ${left} left`);
    expect(out.log[1]).toContain(`${entered + left} written`);
  });

  it('reports users the domain does not know, with exit status 2, and creates none', async () => {
    await seedDomain(['u1', 'u2']);
    const folder = await audienceFolder('week1', [
      'u1',
      'u2',
      'u3',
      'u4',
      'u5',
      'u6',
      'u7',
      'u8',
      'u9',
      'u10',
    ]);

    expect(await activate(folder, options(), io)).toBe(2);
    expect(out.error.join('\n')).toMatch(/Customer Profiles counts 2 profiles/);
    expect((await members()).every((u) => ['u1', 'u2'].includes(u))).toBe(true);
  });

  it('refuses a folder without a manifest', async () => {
    await expect(activate(path.join(dir, 'nothing'), options(), io)).rejects.toThrow(/no manifest/);
  });
});

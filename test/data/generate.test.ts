import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENRES } from '../../data/generator/catalog';
import { OUTPUT_FILES } from '../../data/generator/files';
import { DEFAULTS, parseGenerateOptions } from '../../data/generator/options';
import { RECENT_DAYS, WINDOW_END, WINDOW_START, DAY, itemCountFor } from '../../data/generator/world';
import { generateSampleData, type GenerateOptions } from '../../data/generator/write-world';
import { UserFacingError } from '../../lambdas/core/errors';

type Row = Record<string, string>;

let root: string;
/** One world shared by the structure tests: small, but big enough for the planted patterns to show. */
const WORLD = { seed: 7, users: 400, interactions: 12_000 } as const;
let worldDir: string;

async function generate(name: string, options: Omit<GenerateOptions, 'outDir'>): Promise<string> {
  const outDir = join(root, name);
  await generateSampleData({ ...options, outDir });
  return outDir;
}

async function rowsOf(dir: string, path: string): Promise<Row[]> {
  return parse(await readFile(join(dir, path)), { columns: true }) as Row[];
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** Optimal string alignment distance: a swap of neighbours counts as one edit, like a typo. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

const digitsOf = (phone: string) => phone.replace(/\D/g, '').replace(/^1(\d{10})$/, '$1');
const countBy = (values: Iterable<string>) => {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cdp-data-'));
  worldDir = await generate('world', WORLD);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the sample-data generator', () => {
  it('writes byte-identical files for the same seed', async () => {
    // Prepare
    const again = await generate('world-again', WORLD);

    // Act
    const files = await filesUnder(worldDir);
    const differing: string[] = [];
    for (const file of files) {
      const [first, second] = await Promise.all([
        readFile(join(worldDir, file)),
        readFile(join(again, file)),
      ]);
      if (!first.equals(second)) differing.push(file);
    }

    // Assess
    // The CSVs, ground-truth.json, segments/weekly-genres.json.out, personalize/training.json and segment/events.jsonl.
    expect(files).toHaveLength(Object.keys(OUTPUT_FILES).length + 4);
    expect(await filesUnder(again)).toEqual(files);
    expect(differing).toEqual([]);
  });

  it('writes different data for a different seed', async () => {
    // Prepare
    const other = await generate('other-seed', { ...WORLD, seed: WORLD.seed + 1 });

    // Act
    const [mine, theirs] = await Promise.all(
      [worldDir, other].map((dir) => readFile(join(dir, OUTPUT_FILES.interactions.path), 'utf8')),
    );
    const [myCrm, theirCrm] = await Promise.all(
      [worldDir, other].map((dir) => readFile(join(dir, OUTPUT_FILES.crmCustomers.path), 'utf8')),
    );

    // Assess
    expect(theirs).not.toEqual(mine);
    expect(theirCrm).not.toEqual(myCrm);
  });

  it('writes exactly the requested numbers of users and interactions, even when they do not divide', async () => {
    // Prepare
    const options = { seed: 3, users: 37, interactions: 1_234 };

    // Act
    const dir = await generate('odd-sizes', options);

    // Assess
    expect(await rowsOf(dir, OUTPUT_FILES.users.path)).toHaveLength(37);
    expect(await rowsOf(dir, OUTPUT_FILES.interactions.path)).toHaveLength(1_234);
    expect(await rowsOf(dir, OUTPUT_FILES.truthCustomers.path)).toHaveLength(37);
    expect(await rowsOf(dir, OUTPUT_FILES.items.path)).toHaveLength(itemCountFor(37));
    expect((await rowsOf(dir, OUTPUT_FILES.crmCustomers.path)).length).toBeGreaterThanOrEqual(37);
  });

  it('writes the Personalize files with the schema field names as headers and valid values', async () => {
    // Prepare
    const headerOf = async (path: string) => (await readFile(join(worldDir, path), 'utf8')).split('\n', 1)[0];

    // Act
    const headers = await Promise.all(
      [OUTPUT_FILES.interactions, OUTPUT_FILES.items, OUTPUT_FILES.users, OUTPUT_FILES.pinpointEndpoints].map(
        ({ path }) => headerOf(path),
      ),
    );
    const interactions = await rowsOf(worldDir, OUTPUT_FILES.interactions.path);
    const items = await rowsOf(worldDir, OUTPUT_FILES.items.path);

    // Assess
    expect(headers).toEqual([
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE',
      'ITEM_ID,GENRES,PRICE,CATEGORY,CREATION_TIMESTAMP',
      'USER_ID,AGE,GENDER',
      'User.UserId,ChannelType,Address,Id',
    ]);
    const itemIds = new Set(items.map((item) => item.ITEM_ID));
    expect(interactions.every((row) => itemIds.has(row.ITEM_ID!))).toBe(true);
    expect(interactions.every((row) => /^\d+$/.test(row.TIMESTAMP!))).toBe(true);
    expect(interactions.every((row) => +row.TIMESTAMP! >= WINDOW_START && +row.TIMESTAMP! < WINDOW_END)).toBe(
      true,
    );
    expect(
      items.every((item) =>
        item.GENRES!.split('|').every((genre) => (GENRES as readonly string[]).includes(genre)),
      ),
    ).toBe(true);
    expect(items.some((item) => item.GENRES!.includes('|'))).toBe(true);
  });

  it("makes each user's top genre in the interactions their planted favourite for at least 80% of users", async () => {
    // Prepare
    const truth = await rowsOf(worldDir, OUTPUT_FILES.truthCustomers.path);
    const items = await rowsOf(worldDir, OUTPUT_FILES.items.path);
    const genresOf = new Map(items.map((item) => [item.ITEM_ID!, item.GENRES!.split('|')]));
    const interactions = await rowsOf(worldDir, OUTPUT_FILES.interactions.path);

    // Act
    const genresByUser = new Map<string, string[]>();
    for (const row of interactions) {
      const genres = genresByUser.get(row.USER_ID!) ?? [];
      genres.push(...genresOf.get(row.ITEM_ID!)!);
      genresByUser.set(row.USER_ID!, genres);
    }
    // Users with a handful of interactions say little about their taste either way.
    const judged = truth.filter((customer) => (genresByUser.get(customer.customer_id!)?.length ?? 0) >= 5);
    const matching = judged.filter((customer) => {
      const counts = [...countBy(genresByUser.get(customer.customer_id!)!)].sort((a, b) => b[1] - a[1]);
      return counts[0]![0] === customer.favourite_genre;
    });

    // Assess
    expect(judged.length).toBeGreaterThan(WORLD.users * 0.7);
    expect(matching.length / judged.length).toBeGreaterThanOrEqual(0.8);
  });

  it('plants duplicate clusters of every kind in the CRM and store records, each differing the way it says', async () => {
    // Prepare
    const identities = await rowsOf(worldDir, OUTPUT_FILES.truthIdentities.path);
    const crm = new Map(
      (await rowsOf(worldDir, OUTPUT_FILES.crmCustomers.path)).map((row) => [row.customer_id!, row]),
    );
    const store = new Map(
      (await rowsOf(worldDir, OUTPUT_FILES.storeSales.path)).map((row) => [row.receipt_id!, row]),
    );

    // Act
    const problems: string[] = [];
    const kinds = new Set<string>();
    for (const { source, record_id: id, customer_id: person, variation } of identities) {
      if (source === 'web' || variation === 'original') continue;
      kinds.add(variation!);
      const original = crm.get(person!)!;
      const record = source === 'crm' ? crm.get(id!)! : store.get(id!)!;
      const originalName = `${original.first_name} ${original.last_name}`;
      const name = source === 'crm' ? `${record.first_name} ${record.last_name}` : record.name!;
      const holds = {
        exact: name === originalName && record.email === original.email && record.phone === original.phone,
        typo: editDistance(name, originalName) === 1,
        case:
          name.toLowerCase() === originalName.toLowerCase() &&
          record.email!.toLowerCase() === original.email!.toLowerCase() &&
          (name !== originalName || record.email !== original.email),
        initial: name === `${original.first_name![0]}. ${original.last_name}`,
        'phone-format':
          digitsOf(record.phone!) === digitsOf(original.phone!) && record.phone !== original.phone,
        'shared-email':
          record.email === original.email &&
          digitsOf(record.phone!) !== digitsOf(original.phone!) &&
          record.postcode !== original.postcode,
        'no-email': record.email === '' && name === originalName,
      }[variation!];
      if (!holds) problems.push(`${source} ${id} (${variation}) vs ${person}`);
    }

    // Assess
    expect(problems).toEqual([]);
    expect([...kinds]).toEqual(
      expect.arrayContaining(['typo', 'case', 'initial', 'shared-email', 'phone-format']),
    );
  });

  it('shares an email between two different people of a household, and says they are not duplicates', async () => {
    // Prepare
    const truth = await rowsOf(worldDir, OUTPUT_FILES.truthCustomers.path);
    const crm = await rowsOf(worldDir, OUTPUT_FILES.crmCustomers.path);
    const originals = crm.filter((row) => truth.some((customer) => customer.customer_id === row.customer_id));

    // Act
    const sharedEmails = [...countBy(originals.map((row) => row.email!))].filter(([, count]) => count > 1);
    const households = truth.filter((customer) => customer.household_id !== '');

    // Assess
    expect(sharedEmails.length).toBeGreaterThan(0);
    expect(households.length).toBe(sharedEmails.length * 2);
  });

  it('gives churners less recent activity than customers who stay, and none after they churn', async () => {
    // Prepare
    const truth = await rowsOf(worldDir, OUTPUT_FILES.truthCustomers.path);
    const interactions = await rowsOf(worldDir, OUTPUT_FILES.interactions.path);
    const events = await rowsOf(worldDir, OUTPUT_FILES.webEvents.path);
    const recentFrom = WINDOW_END - RECENT_DAYS * DAY;

    // Act
    const recent = countBy(
      interactions.filter((row) => +row.TIMESTAMP! >= recentFrom).map((row) => row.USER_ID!),
    );
    const meanRecent = (churned: string) => {
      const group = truth.filter((customer) => customer.churned === churned);
      return (
        group.reduce((sum, customer) => sum + (recent.get(customer.customer_id!) ?? 0), 0) / group.length
      );
    };
    const churnedAt = new Map(
      truth
        .filter((c) => c.churned === 'true')
        .map((c) => [c.customer_id!, Date.parse(c.churned_at!) / 1000]),
    );
    const lateInteractions = interactions.filter(
      (row) => +row.TIMESTAMP! > (churnedAt.get(row.USER_ID!) ?? Infinity),
    );
    // A session that starts just before the churn date may end minutes after it.
    const lateEvents = events.filter(
      (row) => Date.parse(row.timestamp!) / 1000 > (churnedAt.get(row.customer_id!) ?? Infinity) + 3_600,
    );

    // Assess
    expect(churnedAt.size).toBeGreaterThan(WORLD.users * 0.1);
    expect(meanRecent('true')).toBeLessThan(meanRecent('false') / 2);
    expect(lateInteractions).toEqual([]);
    expect(lateEvents).toEqual([]);
  });

  it('gives customers with a high repurchase probability more repeat orders than those with a low one', async () => {
    // Prepare
    const truth = await rowsOf(worldDir, OUTPUT_FILES.truthCustomers.path);
    const orders = countBy(
      (await rowsOf(worldDir, OUTPUT_FILES.webOrders.path)).map((row) => row.customer_id!),
    );

    // Act
    const meanRepeats = (inGroup: (probability: number) => boolean) => {
      const group = truth.filter((customer) => inGroup(+customer.repurchase_probability!));
      return (
        group.reduce((sum, c) => sum + Math.max(0, (orders.get(c.customer_id!) ?? 0) - 1), 0) / group.length
      );
    };

    // Assess
    expect(meanRepeats((p) => p >= 0.6)).toBeGreaterThan(2 * meanRepeats((p) => p < 0.3));
  });

  it('gives each customer zero, one or two Pinpoint endpoints, on EMAIL or SMS with a valid address', async () => {
    // Prepare
    const endpoints = await rowsOf(worldDir, OUTPUT_FILES.pinpointEndpoints.path);

    // Act
    const perUser = countBy(endpoints.map((row) => row['User.UserId']!));

    // Assess
    expect(perUser.size).toBeLessThan(WORLD.users);
    expect(new Set(perUser.values())).toEqual(new Set([1, 2]));
    expect(new Set(endpoints.map((row) => row.Id)).size).toBe(endpoints.length);
    const invalid = endpoints.filter((row) =>
      row.ChannelType === 'EMAIL'
        ? !/^[^@\s]+@example\.(com|net|org)$/.test(row.Address!)
        : row.ChannelType !== 'SMS' || !/^\+1\d{3}55501\d\d$/.test(row.Address!),
    );
    expect(invalid).toEqual([]);
  });
});

describe('the generator options', () => {
  it('falls back to seed 42, 2,000 users and 50,000 interactions in the given folder', () => {
    // Act
    const options = parseGenerateOptions({}, '/tmp/sample');

    // Assess
    expect(options).toEqual({ ...DEFAULTS, outDir: '/tmp/sample' });
    expect(options).toMatchObject({ seed: 42, users: 2_000, interactions: 50_000 });
  });

  it('accepts underscores as digit separators', () => {
    // Act
    const options = parseGenerateOptions({ interactions: '1_000_000', seed: '0' }, 'out');

    // Assess
    expect(options).toMatchObject({ interactions: 1_000_000, seed: 0 });
  });

  it.each([
    [{ users: 'abc' }, "--users must be a whole number from 1 to 10,000,000 (got 'abc')"],
    [{ users: '0' }, "--users must be a whole number from 1 to 10,000,000 (got '0')"],
    [{ interactions: '2.5' }, "--interactions must be a whole number from 0 to 1,000,000,000 (got '2.5')"],
    [{ seed: '-1' }, "--seed must be a whole number from 0 to 4,294,967,295 (got '-1')"],
  ])('rejects %o with a message naming the flag and the accepted range', (raw, message) => {
    // Act
    const act = () => parseGenerateOptions(raw, 'out');

    // Assess
    expect(act).toThrow(UserFacingError);
    expect(act).toThrow(message);
  });
});

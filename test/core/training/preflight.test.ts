import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleData } from '../../../data/generator/write-world';
import { preflightTraining, type PreflightResult } from '../../../lambdas/core/training/preflight';
import {
  parseTrainingConfig,
  type TrainingConfigInput,
} from '../../../lambdas/core/training/training-config';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

/** The generator's Personalize files, read once; each test changes a copy. */
const files: Record<string, string> = {};
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cdp-preflight-'));
  await generateSampleData({ seed: 5, users: 150, interactions: 3_000, outDir: root });
  for (const name of ['interactions.csv', 'items.csv', 'users.csv', 'training.json']) {
    files[name] = await readFile(path.join(root, 'personalize', name), 'utf8');
  }
});

afterAll(() => rm(root, { recursive: true, force: true }));

type Edit = Partial<Record<'interactions.csv' | 'items.csv' | 'users.csv', string | null>>;

/** Runs the pre-flight on the generated files with some replaced (null: removed) and the config changed. */
async function preflight(
  edit: Edit = {},
  change: (config: TrainingConfigInput) => TrainingConfigInput = (c) => c,
  maxBadShare?: number,
): Promise<PreflightResult> {
  const store = new MemoryObjectStore();
  for (const name of ['interactions.csv', 'items.csv', 'users.csv'] as const) {
    const text = name in edit ? edit[name] : files[name];
    if (text !== null && text !== undefined) await store.put(`personalize/shop/${name}`, text);
  }
  const input = change(JSON.parse(files['training.json']!) as TrainingConfigInput);
  const { config } = parseTrainingConfig(JSON.stringify(input));
  return preflightTraining(store, config, {
    prefix: 'personalize/shop/',
    ...(maxBadShare ? { maxBadShare } : {}),
  });
}

const lines = (name: string) => files[name]!.trimEnd().split('\n');
/** The file with data line `index` (1 = first data row) replaced. */
const withRow = (name: string, index: number, row: string) => {
  const all = lines(name);
  all[index] = row;
  return `${all.join('\n')}\n`;
};
const errors = (result: PreflightResult) =>
  result.problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.file}${p.line ? ` line ${p.line}` : ''}${p.where ? ` ${p.where}` : ''}: ${p.reason}`);

describe('the Personalize pre-flight', () => {
  it('passes the generator’s files and counts interactions, users and items', async () => {
    const result = await preflight();

    expect(errors(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.counts.interactions).toBe(3_000);
    expect(result.counts.items).toBe(lines('items.csv').length - 1);
    expect(result.counts.usersWithTwoInteractions).toBeGreaterThanOrEqual(25);
  });

  it('refuses a header column the training.json schema does not declare, on line 1', async () => {
    const items = files['items.csv']!.replace(
      'ITEM_ID,GENRES,PRICE,CATEGORY,CREATION_TIMESTAMP',
      'ITEM_ID,GENRES,PRICE,CATEGORY,CREATION_TIMESTAMP,COLOUR',
    )
      .replace(/\n(?=.)/g, ',red\n')
      .replace(/^(ITEM_ID[^\n]*),red\n/, '$1\n');

    const result = await preflight({ 'items.csv': items });

    expect(result.ok).toBe(false);
    expect(errors(result)).toEqual([
      expect.stringMatching(
        /^items.csv line 1: the header has column\(s\) this dataset does not declare: COLOUR/,
      ),
    ]);
  });

  it('refuses a file whose header lacks a field of the schema', async () => {
    const items = lines('items.csv')
      .map((line) => line.split(',').slice(0, 4).join(','))
      .join('\n');

    const result = await preflight({ 'items.csv': `${items}\n` });

    expect(errors(result)).toEqual([
      expect.stringMatching(/^items.csv line 1: the header lacks the column\(s\) CREATION_TIMESTAMP/),
    ]);
  });

  it('reports a value of the wrong type with its line and column, and lets the run go on below the threshold', async () => {
    const [id, genres, , category, created] = lines('items.csv')[7]!.split(',');

    const result = await preflight({
      'items.csv': withRow('items.csv', 7, [id, genres, 'cheap', category, created].join(',')),
    });

    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([
      { file: 'items.csv', line: 8, where: 'PRICE', reason: 'is not a number', severity: 'warning' },
    ]);
  });

  it('reports a timestamp in epoch milliseconds with its line', async () => {
    const [user, item, timestamp, event] = lines('interactions.csv')[41]!.split(',');

    const result = await preflight({
      'interactions.csv': withRow('interactions.csv', 41, [user, item, `${timestamp}000`, event].join(',')),
    });

    expect(result.problems).toEqual([
      expect.objectContaining({
        file: 'interactions.csv',
        line: 42,
        where: 'TIMESTAMP',
        reason: expect.stringMatching(/epoch milliseconds/),
      }),
    ]);
  });

  it('fails the run when the share of bad rows is above the threshold, listing every bad row', async () => {
    const all = lines('interactions.csv');
    const broken = all.map((line, i) => (i > 0 && i <= 200 ? line.replace(/,\d+,/, ',yesterday,') : line));

    const result = await preflight({ 'interactions.csv': `${broken.join('\n')}\n` });

    expect(result.ok).toBe(false);
    expect(result.problems.filter((p) => p.where === 'TIMESTAMP')).toHaveLength(200);
    expect(errors(result)).toContain(
      'interactions.csv: 200 of 3000 rows are bad (6.7%), above the 5.0% a run accepts; fix the rows listed',
    );
  });

  it('reports an ID longer than Personalize’s 256 characters', async () => {
    const [, item, timestamp, event] = lines('interactions.csv')[3]!.split(',');

    const result = await preflight({
      'interactions.csv': withRow('interactions.csv', 3, ['U'.repeat(257), item, timestamp, event].join(',')),
    });

    expect(result.problems).toEqual([
      expect.objectContaining({ line: 4, where: 'USER_ID', reason: 'is longer than 256 characters' }),
    ]);
  });

  it('fails below Personalize’s minimum of 1,000 interactions', async () => {
    const result = await preflight({
      'interactions.csv': `${lines('interactions.csv').slice(0, 1000).join('\n')}\n`,
    });

    expect(errors(result)).toEqual([
      'interactions.csv: holds 999 good interactions; Personalize needs at least 1,000 to train',
    ]);
  });

  it('fails below 25 users with 2 or more interactions', async () => {
    const rows = lines('interactions.csv');
    // 1,000 interactions, but only 24 users with more than one.
    const header = rows[0]!;
    const first = rows[1]!.split(',');
    const many = Array.from({ length: 1000 }, (_, i) =>
      [i < 48 ? `U${Math.floor(i / 2)}` : `V${i}`, first[1], first[2], first[3]].join(','),
    );

    const result = await preflight({ 'interactions.csv': `${[header, ...many].join('\n')}\n` });

    expect(errors(result)).toEqual([
      'interactions.csv: has 24 users with 2 or more interactions; Personalize needs at least 25',
    ]);
  });

  it('needs items.csv for aws-item-attribute-affinity', async () => {
    const result = await preflight({ 'items.csv': null });

    expect(errors(result)).toContain(
      'items.csv: is missing; aws-item-attribute-affinity trains on the items and their attributes',
    );
  });

  it('needs a non-textual item attribute for aws-item-attribute-affinity', async () => {
    const result = await preflight({ 'items.csv': 'ITEM_ID,DESCRIPTION\nI000001,a film\n' }, (config) => ({
      ...config,
      schemas: {
        ...config.schemas,
        items: {
          fields: [
            { name: 'ITEM_ID', type: 'string' },
            { name: 'DESCRIPTION', type: 'string', textual: true },
          ],
        },
      },
      batchSegmentJobs: [
        { name: 'all', queries: [{ itemAttributes: 'ITEMS.DESCRIPTION = "a film"' }], numResults: 10 },
      ],
    }));

    expect(errors(result)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^training.json schemas.items.fields: aws-item-attribute-affinity needs an items dataset with at least one metadata field that is not textual/,
        ),
      ]),
    );
  });

  it('refuses a query naming a column the items schema does not declare, at the query’s path', async () => {
    const result = await preflight({}, (config) => ({
      ...config,
      batchSegmentJobs: [
        { name: 'moods', queries: [{ itemAttributes: 'ITEMS.MOOD = "Happy"' }], numResults: 10 },
      ],
    }));

    expect(errors(result)).toEqual([
      'training.json batchSegmentJobs[0].queries[0]: names the column MOOD, which the items schema does not declare; add it to schemas.items or fix the query',
    ]);
  });

  it('refuses a query value that no item holds', async () => {
    const result = await preflight({}, (config) => ({
      ...config,
      batchSegmentJobs: [
        {
          name: 'genres',
          queries: [
            { itemAttributes: 'ITEMS.GENRES = "Drama"' },
            { itemAttributes: 'ITEMS.GENRES = "Western"' },
          ],
          numResults: 10,
        },
      ],
    }));

    expect(errors(result)).toEqual([
      'training.json batchSegmentJobs[0].queries[1]: asks for GENRES = "Western", which no row of items.csv holds; fix the value or the data',
    ]);
  });

  it('refuses OR in a query, which batch segment jobs do not take', async () => {
    const result = await preflight({}, (config) => ({
      ...config,
      batchSegmentJobs: [
        {
          name: 'either',
          queries: [{ itemAttributes: 'ITEMS.GENRES = "Drama" OR ITEMS.GENRES = "Action"' }],
          numResults: 10,
        },
      ],
    }));

    expect(errors(result)).toEqual([expect.stringMatching(/queries\[0\]: uses IN, OR or parentheses/)]);
  });

  it('finds the item IDs of aws-item-affinity queries in the items, and refuses one that is not there', async () => {
    const known = lines('items.csv')[1]!.split(',')[0]!;

    const result = await preflight({}, (config) => ({
      ...config,
      recipe: 'aws-item-affinity',
      batchSegmentJobs: [{ name: 'items', queries: [{ itemId: known }, { itemId: 'NOPE' }], numResults: 10 }],
    }));

    expect(errors(result)).toEqual([
      'training.json batchSegmentJobs[0].queries[1]: asks for ITEM_ID = "NOPE", which no row of the items or the interactions holds; fix the value or the data',
    ]);
  });

  it('refuses more metadata fields than Personalize takes in the users dataset (25)', async () => {
    const extra = Array.from({ length: 26 }, (_, i) => ({
      name: `F${i}`,
      type: 'int' as const,
      nullable: true,
    }));

    const result = await preflight({}, (config) => ({
      ...config,
      schemas: { ...config.schemas, users: { fields: [{ name: 'USER_ID', type: 'string' }, ...extra] } },
    }));

    expect(errors(result)).toContainEqual(
      'training.json schemas.users.fields: declares 26 metadata fields; Personalize takes at most 25 in the users dataset. Remove some.',
    );
  });

  it('refuses more than 10 event types and interactions metadata columns together', async () => {
    const rows = lines('interactions.csv').map((line, i) =>
      i > 0 && i <= 11 ? line.replace(/,[a-z]+$/, `,kind${i}`) : line,
    );

    const result = await preflight({ 'interactions.csv': `${rows.join('\n')}\n` });

    expect(errors(result)).toEqual([
      expect.stringMatching(/^interactions.csv EVENT_TYPE: has more than 10 event types/),
    ]);
  });

  it('reports a quote that never closes as a problem of the whole file, with the line it opens on', async () => {
    const [user, item, timestamp] = lines('interactions.csv')[10]!.split(',');

    const result = await preflight({
      'interactions.csv': withRow('interactions.csv', 10, [user, item, timestamp, '"watch'].join(',')),
    });

    expect(errors(result)).toContainEqual(
      expect.stringMatching(/^interactions.csv line 11: a quote opens here and never closes/),
    );
  });

  it('fails without interactions.csv', async () => {
    const result = await preflight({ 'interactions.csv': null });

    expect(errors(result)).toContain(
      'interactions.csv: is missing; training needs the item interactions (USER_ID, ITEM_ID, TIMESTAMP)',
    );
  });
});

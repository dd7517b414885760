import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sampleTrainingJson } from '../../../data/generator/training';
import { planTrainingRun } from '../../../lambdas/core/training/plan-run';
import { executionNameOf, prepareTrainingRun, runOf } from '../../../lambdas/core/training/prepare-run';
import { splitJobs } from '../../../lambdas/core/training/split-jobs';
import {
  parseTrainingConfig,
  type TrainingConfigInput,
} from '../../../lambdas/core/training/training-config';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const configWith = (change: (c: TrainingConfigInput) => TrainingConfigInput) =>
  parseTrainingConfig(JSON.stringify(change(JSON.parse(sampleTrainingJson()) as TrainingConfigInput))).config;
const target = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '111122223333',
  trustedBucket: 'trusted',
  run: 'abcd1234',
};

describe('splitting batch segment jobs', () => {
  it('puts at most 10 item-attribute queries in each job', () => {
    const queries = Array.from({ length: 25 }, (_, i) => ({ itemAttributes: `ITEMS.GENRES = "G${i}"` }));
    const config = configWith((c) => ({
      ...c,
      batchSegmentJobs: [{ name: 'many', queries, numResults: 10 }],
    }));

    const parts = splitJobs(config, 'abcd1234');

    expect(parts.map((p) => [p.jobName, p.queries.length])).toEqual([
      ['many-1-abcd1234', 10],
      ['many-2-abcd1234', 10],
      ['many-3-abcd1234', 5],
    ]);
  });

  it('puts at most 500 item IDs in each aws-item-affinity job, and keeps a job that fits whole', () => {
    const queries = Array.from({ length: 1200 }, (_, i) => ({ itemId: `I${i}` }));
    const config = configWith((c) => ({
      ...c,
      recipe: 'aws-item-affinity',
      batchSegmentJobs: [
        { name: 'items', queries, numResults: 10 },
        { name: 'one', queries: [{ itemId: 'I1' }], numResults: 10 },
      ],
    }));

    const parts = splitJobs(config, 'abcd1234');

    expect(parts.map((p) => [p.jobName, p.queries.length])).toEqual([
      ['items-1-abcd1234', 500],
      ['items-2-abcd1234', 500],
      ['items-3-abcd1234', 200],
      ['one-abcd1234', 1],
    ]);
  });
});

describe('the plan of a run', () => {
  it('names a schema by its fields, so a changed schema gets a new name and an unchanged one keeps it', () => {
    const config = configWith((c) => c);
    const changed = configWith((c) => ({
      ...c,
      schemas: {
        ...c.schemas,
        items: {
          fields: [
            ...c.schemas!.items!.fields,
            { name: 'STUDIO', type: 'string', categorical: true, nullable: true },
          ],
        },
      },
    }));

    const [first, again, other] = [config, config, changed].map(
      (c) => planTrainingRun(c, ['items'], target, 'p/').datasets[0]!.schemaName,
    );

    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(first).toMatch(/^cdp-sample-items-[0-9a-f]{8}$/);
  });

  it('gives a domain group’s schemas names of their own, and keeps the custom group’s names as they were', () => {
    const custom = planTrainingRun(
      configWith((c) => c),
      ['items'],
      target,
      'p/',
    ).datasets[0]!;
    const domain = planTrainingRun(
      configWith((c) => ({ ...c, datasetGroup: { name: 'cdp-sample', domain: 'VIDEO_ON_DEMAND' } })),
      ['items'],
      target,
      'p/',
    ).datasets[0]!;

    expect(domain.domain).toBe('VIDEO_ON_DEMAND');
    expect(custom.domain).toBeUndefined();
    expect(domain.schemaName).not.toBe(custom.schemaName);
    expect(domain.schema).toBe(custom.schema);
  });

  it('keeps every Personalize name within 63 characters for the longest names training.json allows', () => {
    const long = 'g'.repeat(40);
    const config = configWith((c) => ({
      ...c,
      datasetGroup: { name: long },
      batchSegmentJobs: [
        {
          name: 'j'.repeat(40),
          queries: Array.from({ length: 11 }, () => ({ itemAttributes: 'ITEMS.GENRES = "Action"' })),
          numResults: 1,
        },
      ],
    }));

    const plan = planTrainingRun(config, ['interactions', 'items', 'users'], target, 'p/');

    const names = [
      plan.solution.name,
      plan.eventTracker.name,
      ...plan.datasets.flatMap((d) => [d.schemaName, d.importJobName]),
      ...plan.jobs.map((j) => j.jobName),
    ];
    expect(names.filter((name) => name.length > 63)).toEqual([]);
  });
});

describe('starting a run', () => {
  it('names the execution from the key and the ETag, so a re-delivered event gets the same name', () => {
    const name = executionNameOf('personalize/shop/training.json', '"9b2cf535f27731c974343645a3985328"');

    expect(name).toBe('personalize-shop-9b2cf535');
    expect(executionNameOf('personalize/shop/training.json', '"9b2cf535f27731c974343645a3985328"')).toBe(
      name,
    );
    expect(executionNameOf('personalize/shop/training.json', '"00000000f27731c974343645a3985328"')).not.toBe(
      name,
    );
    expect(runOf('"abc-2"')).toBe('abc20000');
  });

  it('writes the good rows and each job’s queries to the trusted zone and returns the plan', async () => {
    const landing = new MemoryObjectStore();
    const trusted = new MemoryObjectStore();
    for (const file of ['interactions.csv', 'items.csv', 'users.csv', 'training.json']) {
      await landing.put(`personalize/shop/${file}`, await readFile(`data/sample/personalize/${file}`));
    }

    const result = await prepareTrainingRun(
      { landing, trusted },
      {
        key: 'personalize/shop/training.json',
        etag: '"0123456789abcdef"',
        partition: 'aws',
        region: 'eu-west-1',
        account: '111122223333',
        trustedBucket: 'trusted',
      },
    );

    expect(result.ok).toBe(true);
    const copies = [...trusted.objects.keys()].filter((k) => k.startsWith('personalize/')).sort();
    expect(copies).toEqual([
      'personalize/cdp-sample/01234567/interactions.csv',
      'personalize/cdp-sample/01234567/items.csv',
      'personalize/cdp-sample/01234567/users.csv',
    ]);
    expect(trusted.text('personalize/cdp-sample/01234567/interactions.csv').split('\n', 2)).toEqual([
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE',
      'C00000001,I000604,1737284755,watch',
    ]);
    const genres2 = trusted.text('segment-queries/genres-2-01234567/queries.json').trim().split('\n');
    expect(genres2).toEqual(['{"itemAttributes":"ITEMS.GENRES = \\"Thriller\\""}']);
  });

  it('returns every problem and writes nothing when the pre-flight fails', async () => {
    const landing = new MemoryObjectStore();
    const trusted = new MemoryObjectStore();
    await landing.put(
      'personalize/shop/training.json',
      await readFile('data/sample/personalize/training.json'),
    );
    await landing.put('personalize/shop/interactions.csv', 'USER_ID,ITEM_ID,TIMESTAMP\nU1,I1,1700000000\n');

    const result = await prepareTrainingRun(
      { landing, trusted },
      {
        key: 'personalize/shop/training.json',
        etag: 'ff',
        partition: 'aws',
        region: 'eu-west-1',
        account: '1',
        trustedBucket: 't',
      },
    );

    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map((p) => p.file)).toEqual(
      expect.arrayContaining(['items.csv', 'interactions.csv']),
    );
    expect(trusted.objects.size).toBe(0);
  });
});

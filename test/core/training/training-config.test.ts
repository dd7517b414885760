import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sampleTrainingJson } from '../../../data/generator/training';
import {
  DEFAULT_SCHEMAS,
  parseTrainingConfig,
  TrainingConfigError,
} from '../../../lambdas/core/training/training-config';

const minimal = (): Record<string, unknown> => ({
  datasetGroup: { name: 'shop' },
  batchSegmentJobs: [
    { name: 'genres', queries: [{ itemAttributes: 'ITEMS.GENRES = "Action"' }], numResults: 100 },
  ],
});

/** The issues of a config that must be refused, by path. */
function issuesOf(config: unknown): Record<string, string> {
  try {
    parseTrainingConfig(JSON.stringify(config));
  } catch (error) {
    if (error instanceof TrainingConfigError) {
      return Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    }
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('training.json', () => {
  it('fills in the recipe, the solution options and the schemas of the sample columns when they are left out', () => {
    const { config } = parseTrainingConfig(JSON.stringify(minimal()));

    expect(config.recipe).toBe('aws-item-attribute-affinity');
    expect(config.solution).toEqual({ performAutoTraining: false, performHPO: false });
    expect(config.schemas.items.fields.map((f) => f.name)).toEqual([
      'ITEM_ID',
      'GENRES',
      'PRICE',
      'CATEGORY',
      'CREATION_TIMESTAMP',
    ]);
    expect(config.schemas.interactions).toEqual(DEFAULT_SCHEMAS.interactions);
  });

  it('accepts the sample training.json the generator writes, and the file in data/sample matches it', async () => {
    const committed = await readFile('data/sample/personalize/training.json', 'utf8');

    const { config } = parseTrainingConfig(committed);

    expect(committed).toBe(sampleTrainingJson());
    expect(config.batchSegmentJobs.map((job) => job.name)).toEqual(['genres', 'categories']);
    expect(config.batchSegmentJobs[0]!.queries.length).toBeGreaterThan(10);
  });

  it('names the path and the fix of a numResults that is not a whole number', () => {
    const config = minimal();
    (config['batchSegmentJobs'] as Record<string, unknown>[])[0]!['numResults'] = 'lots';

    expect(issuesOf(config)).toEqual({
      'batchSegmentJobs[0].numResults': 'must be a whole number of users per segment, e.g. 500',
    });
  });

  it('refuses numResults above the 5 million users Personalize puts in a segment', () => {
    const config = minimal();
    (config['batchSegmentJobs'] as Record<string, unknown>[])[0]!['numResults'] = 5_000_001;

    expect(issuesOf(config)['batchSegmentJobs[0].numResults']).toMatch(/at most 5,000,000/);
  });

  it('refuses a recipe that is not a USER_SEGMENTATION recipe, naming the two it takes', () => {
    expect(issuesOf({ ...minimal(), recipe: 'aws-user-personalization' })['recipe']).toBe(
      'must be aws-item-attribute-affinity or aws-item-affinity (the USER_SEGMENTATION recipes)',
    );
  });

  it('refuses a query in the other recipe’s form, at the query’s path', () => {
    const issues = issuesOf({
      ...minimal(),
      recipe: 'aws-item-affinity',
    });

    expect(issues['batchSegmentJobs[0].queries[0]']).toMatch(
      /aws-item-affinity takes \{"itemId": …\} queries/,
    );
  });

  it('refuses a query that is neither itemAttributes nor itemId, showing both forms', () => {
    const config = minimal();
    (config['batchSegmentJobs'] as Record<string, unknown>[])[0]!['queries'] = [{ genre: 'Action' }];

    expect(issuesOf(config)['batchSegmentJobs[0].queries[0]']).toMatch(/itemAttributes.*itemId/);
  });

  it('refuses a misspelt field, naming it and the fields that level takes', () => {
    const issues = issuesOf({ ...minimal(), solution: { performAutoTrainig: true } });

    expect(issues['solution']).toMatch(
      /unknown field\(s\) performAutoTrainig; the solution takes performAutoTraining/,
    );
  });

  it('refuses a dataset group name Personalize would refuse, or too long for the suffixes the workflow adds', () => {
    expect(issuesOf({ ...minimal(), datasetGroup: { name: 'my shop' } })['datasetGroup.name']).toMatch(
      /only letters, digits, - and _/,
    );
    expect(issuesOf({ ...minimal(), datasetGroup: { name: 'x'.repeat(41) } })['datasetGroup.name']).toMatch(
      /longer than 40 characters/,
    );
  });

  it('refuses an interactions schema without TIMESTAMP, saying which field to add', () => {
    const issues = issuesOf({
      ...minimal(),
      schemas: {
        interactions: {
          fields: [
            { name: 'USER_ID', type: 'string' },
            { name: 'ITEM_ID', type: 'string' },
          ],
        },
      },
    });

    expect(issues['schemas.interactions.fields']).toBe(
      'the interactions schema needs a TIMESTAMP field; add {"name": "TIMESTAMP", "type": "long"}',
    );
  });

  it('refuses a categorical field that is not a string', () => {
    const issues = issuesOf({
      ...minimal(),
      schemas: {
        items: {
          fields: [
            { name: 'ITEM_ID', type: 'string' },
            { name: 'PRICE', type: 'float', categorical: true },
          ],
        },
      },
    });

    expect(issues['schemas.items.fields[1]']).toMatch(/only a string field can be categorical/);
  });

  it('refuses two jobs with one name, and a filterArn that is not a filter ARN', () => {
    const job = { name: 'genres', queries: [{ itemAttributes: 'ITEMS.GENRES = "Action"' }], numResults: 10 };
    const issues = issuesOf({
      ...minimal(),
      batchSegmentJobs: [job, { ...job, filterArn: 'arn:aws:s3:::bucket' }],
    });

    expect(issues['batchSegmentJobs[1].name']).toMatch(/a second time/);
    expect(issues['batchSegmentJobs[1].filterArn']).toMatch(/ARN of a Personalize filter/);
  });

  it('reports a file that is not JSON as one problem naming the syntax error', () => {
    expect(() => parseTrainingConfig('{"datasetGroup": ', 'personalize/shop/training.json')).toThrow(
      /^personalize\/shop\/training.json: \(top level\) is not valid JSON/,
    );
  });

  it('reads the retired AWS solution’s layout: dataset group, Avro schemas, recipe and batch segment jobs with queries added', () => {
    const retired = {
      datasetGroup: {
        serviceConfig: { name: 'legacy_group' },
        workflowConfig: { schedules: { import: 'cron(0 * * * ? *)' } },
      },
      datasets: {
        items: {
          schema: {
            serviceConfig: {
              name: 'items_schema',
              schema: {
                type: 'record',
                name: 'items',
                namespace: 'com.amazonaws.personalize.schema',
                fields: [
                  { name: 'ITEM_ID', type: 'string' },
                  { name: 'GENRES', type: ['null', 'string'], categorical: true },
                ],
              },
            },
          },
        },
      },
      solutions: [
        { serviceConfig: { name: 'sims', recipeArn: 'arn:aws:personalize:::recipe/aws-sims' } },
        {
          serviceConfig: {
            name: 'affinity',
            recipeArn: 'arn:aws:personalize:::recipe/aws-item-attribute-affinity',
            performAutoTraining: false,
          },
          batchSegmentJobs: [
            {
              serviceConfig: { jobName: 'by_genre', numResults: 250 },
              workflowConfig: { schedule: 'cron(0 3 * * ? *)' },
              queries: [{ itemAttributes: 'ITEMS.GENRES = "Drama"' }],
            },
          ],
        },
      ],
      filters: [],
    };

    const { config, ignored } = parseTrainingConfig(JSON.stringify(retired));

    expect(config.datasetGroup.name).toBe('legacy_group');
    expect(config.recipe).toBe('aws-item-attribute-affinity');
    expect(config.schemas.items.fields[1]).toEqual({
      name: 'GENRES',
      type: 'string',
      categorical: true,
      nullable: true,
    });
    expect(config.batchSegmentJobs).toEqual([
      { name: 'by_genre', queries: [{ itemAttributes: 'ITEMS.GENRES = "Drama"' }], numResults: 250 },
    ]);
    expect(ignored).toEqual(
      expect.arrayContaining([
        'datasetGroup.workflowConfig',
        'filters',
        'solutions[0] (not the first USER_SEGMENTATION solution)',
      ]),
    );
  });

  it('asks for the queries a retired-solution job lacks, at the job’s path', () => {
    const retired = {
      datasetGroup: { serviceConfig: { name: 'legacy_group' } },
      solutions: [
        {
          serviceConfig: { name: 'affinity', recipeArn: 'arn:aws:personalize:::recipe/aws-item-affinity' },
          batchSegmentJobs: [{ serviceConfig: { jobName: 'by_item', numResults: 10 } }],
        },
      ],
    };

    expect(issuesOf(retired)['batchSegmentJobs[0].queries']).toBe('must be a list of queries');
  });

  it('accepts the sample’s columns in a VIDEO_ON_DEMAND dataset group: GENRES, CREATION_TIMESTAMP, EVENT_TYPE are there', () => {
    const { config } = parseTrainingConfig(
      JSON.stringify({ ...minimal(), datasetGroup: { name: 'shop', domain: 'VIDEO_ON_DEMAND' } }),
    );

    expect(config.datasetGroup.domain).toBe('VIDEO_ON_DEMAND');
  });

  it('refuses an ECOMMERCE dataset group whose items schema lacks CATEGORY_L1, naming the field to add', () => {
    const issues = issuesOf({ ...minimal(), datasetGroup: { name: 'shop', domain: 'ECOMMERCE' } });

    expect(issues['schemas.items.fields']).toBe(
      'the ECOMMERCE domain needs a CATEGORY_L1 field in the items schema; add {"name": "CATEGORY_L1", "type": "string", "categorical": true}, or leave datasetGroup.domain out for a custom dataset group',
    );
  });

  it('refuses a domain’s required field with the wrong type, at the field’s path', () => {
    const issues = issuesOf({
      ...minimal(),
      datasetGroup: { name: 'shop', domain: 'VIDEO_ON_DEMAND' },
      schemas: {
        items: {
          fields: [
            { name: 'ITEM_ID', type: 'string' },
            { name: 'GENRES', type: 'string' },
            { name: 'CREATION_TIMESTAMP', type: 'long' },
          ],
        },
      },
    });

    expect(issues['schemas.items.fields[1]']).toMatch(
      /^the VIDEO_ON_DEMAND domain takes GENRES as \{"name": "GENRES", "type": "string", "categorical": true\}/,
    );
  });

  it('refuses a domain interactions schema without EVENT_TYPE and a users schema with no metadata field', () => {
    const issues = issuesOf({
      ...minimal(),
      datasetGroup: { name: 'shop', domain: 'ECOMMERCE' },
      schemas: {
        interactions: {
          fields: [
            { name: 'USER_ID', type: 'string' },
            { name: 'ITEM_ID', type: 'string' },
            { name: 'TIMESTAMP', type: 'long' },
          ],
        },
        users: { fields: [{ name: 'USER_ID', type: 'string' }] },
      },
    });

    expect(issues['schemas.interactions.fields']).toContain('needs a EVENT_TYPE field');
    expect(issues['schemas.users.fields']).toContain('needs a metadata field in the users schema');
  });

  it('refuses a domain Personalize does not have, naming the two it has', () => {
    const issues = issuesOf({ ...minimal(), datasetGroup: { name: 'shop', domain: 'RETAIL' } });

    expect(issues['datasetGroup.domain']).toBe(
      'must be ECOMMERCE or VIDEO_ON_DEMAND (a Domain dataset group), or left out (a custom dataset group)',
    );
  });
});

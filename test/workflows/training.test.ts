import { beforeAll, describe, expect, it } from 'vitest';
import { sampleTrainingJson } from '../../data/generator/training';
import { formatEmail } from '../../lambdas/core/notifications/format-email';
import { planTrainingRun } from '../../lambdas/core/training/plan-run';
import { parseTrainingConfig } from '../../lambdas/core/training/training-config';
import { POLLS } from '../../lib/constructs/personalize-training';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally, type LocalHandler as Handler, validateWithPaths } from './definition';

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const { config } = parseTrainingConfig(sampleTrainingJson());
const plan = planTrainingRun(
  config,
  ['interactions', 'items', 'users'],
  {
    partition: 'aws',
    region: 'eu-west-1',
    account: '111122223333',
    trustedBucket: 'trusted',
    run: 'abcd1234',
  },
  'personalize/cdp-sample/abcd1234/',
);
const input = { bucket: 'landing', key: 'personalize/cdp-sample/training.json', etag: 'abcd1234ef' };
const prepared = { ok: true, plan, skippedRows: 3 };

const RESOURCES = {
  'Dataset group': 'DatasetGroup',
  Dataset: 'Dataset',
  'Dataset update': 'Dataset',
  'Import job': 'DatasetImportJob',
  Solution: 'Solution',
  'Solution version': 'SolutionVersion',
  'Batch segment job': 'BatchSegmentJob',
} as const;
type Resource = keyof typeof RESOURCES;
const describeState = (resource: Resource) => `Describe ${resource.toLowerCase()} (${resource})`;

/**
 * A fake Personalize: every Create succeeds (or says it exists), every Describe answers
 * `CREATE IN_PROGRESS` once and then ACTIVE, unless `status` says otherwise.
 */
function fakePersonalize(
  options: {
    exists?: readonly string[];
    status?: (
      resource: Resource,
      request: any,
      polls: number,
    ) => { status: string; failureReason?: string; [more: string]: unknown } | undefined;
    /** The schema ARN a described dataset is on (default: the planned one). */
    schemaOf?: (datasetArn: string, polls: number) => string | undefined;
  } = {},
) {
  const calls: Record<string, any[]> = {};
  const record = (name: string, request: unknown) => (calls[name] ??= []).push(request);
  const polls = new Map<string, number>();
  const create =
    (name: string, result: unknown = {}): Handler =>
    async (request) => {
      record(name, request);
      if (options.exists?.includes(name))
        throw new NamedError('Personalize.ResourceAlreadyExistsException', 'exists');
      return result;
    };
  const describe =
    (resource: Resource): Handler =>
    async (request) => {
      const key = `${resource}:${JSON.stringify(request)}`;
      const count = (polls.get(key) ?? 0) + 1;
      polls.set(key, count);
      record(describeState(resource), request);
      const answer = options.status?.(resource, request, count) ?? {
        status: count >= 2 ? 'ACTIVE' : 'CREATE IN_PROGRESS',
      };
      // A dataset says which schema it is on: the planned one, unless the test says otherwise.
      const schema =
        RESOURCES[resource] === 'Dataset'
          ? {
              schemaArn:
                options.schemaOf?.(request.DatasetArn, count) ??
                plan.datasets.find((d) => d.datasetArn === request.DatasetArn)?.schemaArn,
            }
          : {};
      return { [RESOURCES[resource]]: { ...schema, ...answer } };
    };
  const handlers: Record<string, Handler> = {
    'Pre-flight': async () => prepared,
    'Create dataset group': create('Create dataset group'),
    'Create domain dataset group': create('Create domain dataset group'),
    'Create schema': create('Create schema'),
    'Create domain schema': create('Create domain schema'),
    'Update dataset schema': create('Update dataset schema', {}),
    'Create dataset': create('Create dataset'),
    'Create import job': create('Create import job'),
    'Create solution': create('Create solution'),
    'Create solution version': create('Create solution version', {
      SolutionVersionArn: 'arn:aws:personalize:eu-west-1:111122223333:solution/x/v1',
    }),
    'Get solution metrics': async (request) => {
      record('Get solution metrics', request);
      return { Metrics: { coverage: 0.41, normalized_discounted_cumulative_gain_at_10: 0.22 } };
    },
    'Create batch segment job': create('Create batch segment job'),
    'Create filtered batch segment job': create('Create filtered batch segment job'),
    ...Object.fromEntries((Object.keys(RESOURCES) as Resource[]).map((r) => [describeState(r), describe(r)])),
  };
  return { handlers, calls };
}

/** The default app's training definition, synthesized once for the whole file. */
let synthesized: Record<string, unknown> | undefined;
const defaultDefinition = () => (synthesized ??= definitionOf(buildApp().template, 'TrainingWorkflow'));

const PUBLISH = [
  'Publish pre-flight failed',
  'Publish training succeeded',
  'Publish training failed',
  'Publish pre-flight crashed',
  'Publish job active',
  'Publish job failed',
];

describe('training workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  let waits: Record<string, number>;

  beforeAll(() => {
    definition = defaultDefinition();
    waits = Object.fromEntries(
      (Object.keys(RESOURCES) as Resource[]).map((r) => [`Wait for ${r.toLowerCase()} (${r})`, 0]),
    );
  });

  const run = (handlers: Record<string, Handler>, start: object = input) =>
    runLocally(definition, start, {
      handlers,
      publishStates: PUBLISH,
      waitTimeOverrides: waits,
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
    });

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('creates every resource, trains, runs each batch segment job and publishes one event per job and the success', async () => {
    const personalize = fakePersonalize();

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create schema']).toHaveLength(3);
    expect(personalize.calls['Create import job']!.map((r) => r.DataSource.DataLocation)).toEqual(
      expect.arrayContaining(['s3://trusted/personalize/cdp-sample/abcd1234/interactions.csv']),
    );
    expect(personalize.calls['Create solution']![0]).toMatchObject({
      RecipeArn: 'arn:aws:personalize:::recipe/aws-item-attribute-affinity',
      PerformAutoTraining: false,
    });
    const jobEvents = execution.published.filter((e) => e.detailType === 'Batch Segment Job State Change');
    expect(jobEvents.map((e) => [e.detail.jobName, e.detail.status, e.detail.output.key]).sort()).toEqual([
      ['categories-abcd1234', 'ACTIVE', 'segments/categories-abcd1234/'],
      ['genres-1-abcd1234', 'ACTIVE', 'segments/genres-1-abcd1234/'],
      ['genres-2-abcd1234', 'ACTIVE', 'segments/genres-2-abcd1234/'],
    ]);
    const success = execution.published.find((e) => e.detailType === 'Training Workflow Succeeded');
    expect(success?.detail).toMatchObject({
      datasetGroup: 'cdp-sample',
      run: 'abcd1234',
      metrics: { coverage: 0.41 },
      skippedRows: 3,
    });
    expect(success?.detail.jobs).toHaveLength(3);
  });

  it('splits the 11 genre queries over two jobs, as item-attribute-affinity takes 10 per input file', async () => {
    const personalize = fakePersonalize();

    await run(personalize.handlers);

    const created = personalize.calls['Create batch segment job']!;
    expect(created.map((r) => r.JobInput.S3DataSource.Path).sort()).toEqual([
      's3://trusted/segment-queries/categories-abcd1234/queries.json',
      's3://trusted/segment-queries/genres-1-abcd1234/queries.json',
      's3://trusted/segment-queries/genres-2-abcd1234/queries.json',
    ]);
    expect(created.every((r) => r.NumResults === 500)).toBe(true);
  });

  it('reuses the dataset group, schemas, datasets and solution that already exist, and still trains a new version', async () => {
    const personalize = fakePersonalize({
      exists: ['Create dataset group', 'Create schema', 'Create dataset', 'Create solution'],
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create solution version']).toHaveLength(1);
    expect(personalize.calls[describeState('Dataset group')]!.length).toBeGreaterThanOrEqual(1);
    expect(execution.published.map((e) => e.detailType)).toContain('Training Workflow Succeeded');
  });

  it('fails the run with Personalize’s reason when an import job ends CREATE FAILED, before any solution', async () => {
    const reason = 'Input CSV is missing the following columns: [TIMESTAMP]';
    const personalize = fakePersonalize({
      status: (resource, request) =>
        resource === 'Import job' && String(request.DatasetImportJobArn).includes('-items-')
          ? { status: 'CREATE FAILED', failureReason: reason }
          : undefined,
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: TrainingFailed');
    expect(personalize.calls['Create solution']).toBeUndefined();
    const failed = execution.published.find((e) => e.detailType === 'Training Workflow Failed');
    expect(failed?.detail.failure).toEqual({ error: 'Personalize.CreateFailed', cause: reason });
    const email = formatEmail({
      detailType: 'Training Workflow Failed',
      detail: failed!.detail,
      time: '2026-12-02T14:00:00Z',
      region: 'eu-west-1',
    });
    expect(email.body).toContain(`Reason: ${reason}`);
  });

  it('fails with Personalize.PollLimit when training is still running after the last allowed check', async () => {
    const personalize = fakePersonalize({
      status: (resource) => (resource === 'Solution version' ? { status: 'CREATE IN_PROGRESS' } : undefined),
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: TrainingFailed');
    expect(personalize.calls[describeState('Solution version')]).toHaveLength(POLLS.training.maxPolls);
    const failed = execution.published.find((e) => e.detailType === 'Training Workflow Failed');
    expect(failed?.detail.failure.error).toBe('Personalize.PollLimit');
    expect(execution.published.some((e) => e.detailType === 'Batch Segment Job State Change')).toBe(false);
  });

  it('publishes a FAILED job event with its reason and goes on with the other jobs', async () => {
    const personalize = fakePersonalize({
      status: (resource, request) =>
        resource === 'Batch segment job' && String(request.BatchSegmentJobArn).includes('categories')
          ? { status: 'CREATE FAILED', failureReason: 'No items match ITEMS.CATEGORY = "Games"' }
          : undefined,
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    const jobEvents = execution.published.filter((e) => e.detailType === 'Batch Segment Job State Change');
    expect(jobEvents.find((e) => e.detail.status === 'FAILED')?.detail).toMatchObject({
      jobName: 'categories-abcd1234',
      failureReason: 'No items match ITEMS.CATEGORY = "Games"',
    });
    expect(jobEvents.filter((e) => e.detail.status === 'ACTIVE')).toHaveLength(2);
  });

  it('publishes every pre-flight problem and calls no Personalize API when training cannot start', async () => {
    const personalize = fakePersonalize();
    personalize.handlers['Pre-flight'] = async () => ({
      ok: false,
      run: 'abcd1234',
      datasetGroup: 'cdp-sample',
      reason: 'the pre-flight found 1 problem(s); no Personalize resource was created',
      problems: [
        {
          file: 'interactions.csv',
          reason: 'holds 998 good interactions; Personalize needs at least 1,000 to train',
        },
      ],
      moreProblems: 0,
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: PreflightFailed');
    expect(Object.keys(personalize.calls)).toEqual([]);
    expect(execution.published).toEqual([
      expect.objectContaining({
        detailType: 'Training Workflow Failed',
        detail: expect.objectContaining({
          problems: [expect.objectContaining({ file: 'interactions.csv' })],
        }),
      }),
    ]);
  });
});

describe('training workflow with the real-time relay on, executed locally', () => {
  const parameter = '/cdp-audiences/personalize/event-tracker/tracking-id';
  const trackerArn = 'arn:aws:personalize:eu-west-1:111122223333:event-tracker/0a1b2c3d';
  let definition: Record<string, unknown>;

  beforeAll(() => {
    definition = definitionOf(
      buildApp({ segmentPartnerEventSource: 'aws.partner/segment.com/AbC123xyz' }).template,
      'TrainingWorkflow',
    );
  });

  /** The fake Personalize, plus an event tracker list (empty or not) and the SSM parameter. */
  function withTracker(existing: { eventTrackerArn: string; name: string }[], polls = 2) {
    const personalize = fakePersonalize();
    const calls = personalize.calls;
    const record = (name: string, request: unknown) => (calls[name] ??= []).push(request);
    let checks = 0;
    Object.assign(personalize.handlers, {
      'List event trackers': async (request: unknown) => {
        record('List event trackers', request);
        return { EventTrackers: existing };
      },
      'Create event tracker': async (request: unknown) => {
        record('Create event tracker', request);
        return { EventTrackerArn: trackerArn, TrackingId: 'tracking-new' };
      },
      'Describe event tracker (Event tracker)': async (request: { EventTrackerArn: string }) => {
        record('Describe event tracker', request);
        checks += 1;
        return {
          EventTracker: {
            eventTrackerArn: request.EventTrackerArn,
            trackingId: request.EventTrackerArn === trackerArn ? 'tracking-new' : 'tracking-old',
            status: checks >= polls ? 'ACTIVE' : 'CREATE IN_PROGRESS',
          },
        };
      },
      'Save tracking ID': async (request: unknown) => {
        record('Save tracking ID', request);
        return { Version: 1 };
      },
    });
    return personalize;
  }

  const run = (handlers: Record<string, Handler>) =>
    runLocally(definition, input, {
      handlers,
      publishStates: PUBLISH,
      waitTimeOverrides: Object.fromEntries(
        [...(Object.keys(RESOURCES) as Resource[]), 'Event tracker'].map((r) => [
          `Wait for ${r.toLowerCase()} (${r})`,
          0,
        ]),
      ),
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
    });

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('creates the dataset group’s event tracker, waits until it is ACTIVE and writes its tracking ID to SSM', async () => {
    const personalize = withTracker([]);

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['List event trackers']).toEqual([{ DatasetGroupArn: plan.datasetGroup.arn }]);
    expect(personalize.calls['Create event tracker']).toEqual([
      { Name: 'cdp-sample-tracker', DatasetGroupArn: plan.datasetGroup.arn },
    ]);
    expect(personalize.calls['Describe event tracker']).toHaveLength(2);
    expect(personalize.calls['Save tracking ID']).toEqual([
      expect.objectContaining({ Name: parameter, Value: 'tracking-new', Type: 'String', Overwrite: true }),
    ]);
  });

  it('reuses the event tracker the dataset group already has and writes that tracking ID', async () => {
    const old = 'arn:aws:personalize:eu-west-1:111122223333:event-tracker/99999999';
    const personalize = withTracker([{ eventTrackerArn: old, name: 'cdp-sample-tracker' }], 1);

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create event tracker']).toBeUndefined();
    expect(personalize.calls['Describe event tracker']).toEqual([{ EventTrackerArn: old }]);
    expect(personalize.calls['Save tracking ID']).toEqual([
      expect.objectContaining({ Name: parameter, Value: 'tracking-old' }),
    ]);
  });

  it('fails the run with Personalize.PollLimit when the tracker never becomes ACTIVE, and writes nothing', async () => {
    const personalize = withTracker([], Number.POSITIVE_INFINITY);

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: TrainingFailed');
    expect(personalize.calls['Describe event tracker']).toHaveLength(POLLS.quick.maxPolls);
    expect(personalize.calls['Save tracking ID']).toBeUndefined();
    expect(personalize.calls['Create solution']).toBeUndefined();
  });
});

describe('training workflow without the real-time relay', () => {
  it('creates no event tracker and writes no SSM parameter', () => {
    const states = JSON.stringify(defaultDefinition());

    expect(states).not.toContain('createEventTracker');
    expect(states).not.toContain('ssm:putParameter');
  });
});

describe('training workflow on a changed schema or a domain, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = defaultDefinition();
  });
  const run = (handlers: Record<string, Handler>) =>
    runLocally(definition, input, {
      handlers,
      publishStates: PUBLISH,
      waitTimeOverrides: Object.fromEntries(
        (Object.keys(RESOURCES) as Resource[]).map((r) => [`Wait for ${r.toLowerCase()} (${r})`, 0]),
      ),
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
    });
  const items = plan.datasets.find((d) => d.datasetType === 'Items')!;
  const oldSchema = 'arn:aws:personalize:eu-west-1:111122223333:schema/cdp-sample-items-0ld5c4e3';

  it('reuses a dataset on the planned schema without updating it', async () => {
    const personalize = fakePersonalize({ exists: ['Create schema', 'Create dataset'] });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Update dataset schema']).toBeUndefined();
  });

  it('moves an existing dataset on an older schema to the new versioned schema before importing', async () => {
    const personalize = fakePersonalize({
      exists: ['Create dataset'],
      // The items dataset is found on the old schema.
      schemaOf: (arn, polls) => (arn === items.datasetArn && polls <= 2 ? oldSchema : undefined),
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create schema']!.map((r) => r.Name)).toContain(items.schemaName);
    expect(personalize.calls['Update dataset schema']).toEqual([
      { DatasetArn: items.datasetArn, SchemaArn: items.schemaArn },
    ]);
    const itemsImport = personalize.calls['Create import job']!.find(
      (r) => r.DatasetArn === items.datasetArn,
    );
    expect(itemsImport).toBeDefined();
  });

  it('fails the run with Personalize’s reason when the schema update ends UPDATE FAILED', async () => {
    const reason = 'The new schema removes the required field GENRES';
    const personalize = fakePersonalize({
      exists: ['Create dataset'],
      schemaOf: (arn) => (arn === items.datasetArn ? oldSchema : undefined),
      status: (resource, request, polls) =>
        resource === 'Dataset update'
          ? { status: 'UPDATE FAILED', latestDatasetUpdate: { failureReason: reason } }
          : resource === 'Dataset' && request.DatasetArn === items.datasetArn
            ? { status: polls >= 1 ? 'ACTIVE' : 'CREATE IN_PROGRESS' }
            : undefined,
    });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: TrainingFailed');
    expect(personalize.calls['Create solution']).toBeUndefined();
    const failed = execution.published.find((e) => e.detailType === 'Training Workflow Failed');
    expect(failed?.detail.failure).toEqual({ error: 'Personalize.CreateFailed', cause: reason });
  });

  it('creates a Domain dataset group and its schemas with the domain training.json names', async () => {
    const domainConfig = parseTrainingConfig(
      JSON.stringify({
        ...JSON.parse(sampleTrainingJson()),
        datasetGroup: { name: 'shop', domain: 'VIDEO_ON_DEMAND' },
      }),
    ).config;
    const domainPlan = planTrainingRun(
      domainConfig,
      ['interactions', 'items'],
      {
        partition: 'aws',
        region: 'eu-west-1',
        account: '111122223333',
        trustedBucket: 'trusted',
        run: 'abcd1234',
      },
      'personalize/shop/abcd1234/',
    );
    const personalize = fakePersonalize({
      schemaOf: (arn) => domainPlan.datasets.find((d) => d.datasetArn === arn)?.schemaArn,
    });
    personalize.handlers['Pre-flight'] = async () => ({ ok: true, plan: domainPlan, skippedRows: 0 });

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create domain dataset group']).toEqual([
      { Name: 'shop', Domain: 'VIDEO_ON_DEMAND' },
    ]);
    expect(personalize.calls['Create dataset group']).toBeUndefined();
    expect(personalize.calls['Create domain schema']!.map((r) => r.Domain)).toEqual([
      'VIDEO_ON_DEMAND',
      'VIDEO_ON_DEMAND',
    ]);
    expect(personalize.calls['Create schema']).toBeUndefined();
  });

  it('creates a custom dataset group, with no Domain, when training.json names none', async () => {
    const personalize = fakePersonalize();

    await run(personalize.handlers);

    expect(personalize.calls['Create dataset group']).toEqual([{ Name: 'cdp-sample' }]);
    expect(personalize.calls['Create schema']!.every((r) => !('Domain' in r))).toBe(true);
  });
});

describe('training workflow with real-time recommendations on, executed locally', () => {
  const campaign = 'arn:aws:personalize:eu-west-1:111122223333:campaign/cdp-recommendations';
  const CAMPAIGN_RESOURCES = {
    'Recommendation solution': 'Solution',
    'Recommendation solution version': 'SolutionVersion',
    Campaign: 'Campaign',
    'Campaign update': 'Campaign',
  } as const;
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(
      buildApp({ realtimeRecommendations: 'true', recommendationsMinProvisionedTps: '3' }).template,
      'TrainingWorkflow',
    );
  });

  /** The fake Personalize plus the recommendation solution and the campaign (new, or existing). */
  function withCampaign(campaignExists: boolean, updateStatus = 'ACTIVE') {
    const personalize = fakePersonalize({ exists: campaignExists ? ['Create campaign'] : [] });
    const calls = personalize.calls;
    const record = (name: string, request: unknown) => (calls[name] ??= []).push(request);
    Object.assign(personalize.handlers, {
      'Create recommendation solution': async (request: unknown) => {
        record('Create recommendation solution', request);
        return {};
      },
      'Create recommendation solution version': async (request: unknown) => {
        record('Create recommendation solution version', request);
        return {
          SolutionVersionArn: 'arn:aws:personalize:eu-west-1:111122223333:solution/cdp-sample-recs/v1',
        };
      },
      'Create campaign': async (request: unknown) => {
        record('Create campaign', request);
        if (campaignExists) throw new NamedError('Personalize.ResourceAlreadyExistsException', 'exists');
        return { CampaignArn: campaign };
      },
      'Update campaign': async (request: unknown) => {
        record('Update campaign', request);
        return { CampaignArn: campaign };
      },
      ...Object.fromEntries(
        (Object.keys(CAMPAIGN_RESOURCES) as (keyof typeof CAMPAIGN_RESOURCES)[]).map((resource) => [
          `Describe ${resource.toLowerCase()} (${resource})`,
          async (request: unknown) => {
            record(`Describe ${resource.toLowerCase()}`, request);
            return {
              [CAMPAIGN_RESOURCES[resource]]:
                resource === 'Campaign update'
                  ? {
                      status: 'ACTIVE',
                      latestCampaignUpdate: { status: updateStatus, failureReason: 'Not enough data' },
                    }
                  : { status: 'ACTIVE' },
            };
          },
        ]),
      ),
    });
    return personalize;
  }

  const run = (handlers: Record<string, Handler>) =>
    runLocally(definition, input, {
      handlers,
      publishStates: PUBLISH,
      waitTimeOverrides: Object.fromEntries(
        [...Object.keys(RESOURCES), ...Object.keys(CAMPAIGN_RESOURCES)].map((r) => [
          `Wait for ${r.toLowerCase()} (${r})`,
          0,
        ]),
      ),
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((name) => [name, 0])),
    });

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('trains aws-user-personalization-v2 on the same group and creates the campaign with the configured TPS', async () => {
    const personalize = withCampaign(false);

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Create recommendation solution']).toEqual([
      {
        Name: 'cdp-sample-recs',
        DatasetGroupArn: plan.datasetGroup.arn,
        RecipeArn: 'arn:aws:personalize:::recipe/aws-user-personalization-v2',
      },
    ]);
    expect(personalize.calls['Create campaign']).toEqual([
      {
        Name: 'cdp-recommendations',
        SolutionVersionArn: 'arn:aws:personalize:eu-west-1:111122223333:solution/cdp-sample-recs/v1',
        MinProvisionedTPS: 3,
      },
    ]);
    expect(personalize.calls['Update campaign']).toBeUndefined();
    expect(personalize.calls['Describe campaign']).toEqual([{ CampaignArn: campaign }]);
    const success = execution.published.find((e) => e.detailType === 'Training Workflow Succeeded')!;
    expect(success.detail.recommendations.campaignArn).toBe(campaign);
    const email = formatEmail({
      detailType: 'Training Workflow Succeeded',
      detail: {
        ...success.detail,
        recommendations: { campaignArn: campaign, url: 'https://abc.lambda-url.eu-west-1.on.aws/' },
      },
      time: '2026-12-02T14:00:00Z',
      region: 'eu-west-1',
    });
    expect(email.body).toContain(
      `campaign ${campaign} now serves the new version at https://abc.lambda-url.eu-west-1.on.aws/recommendations?userId=…&n=…`,
    );
  });

  it('updates the existing campaign to the new solution version instead of failing on "already exists"', async () => {
    const personalize = withCampaign(true);

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('succeeded');
    expect(personalize.calls['Update campaign']).toEqual([
      {
        CampaignArn: campaign,
        SolutionVersionArn: 'arn:aws:personalize:eu-west-1:111122223333:solution/cdp-sample-recs/v1',
        MinProvisionedTPS: 3,
      },
    ]);
    expect(personalize.calls['Describe campaign update']).toHaveLength(1);
  });

  it('fails the run with the update’s reason when the campaign update fails', async () => {
    const personalize = withCampaign(true, 'CREATE FAILED');

    const execution = await run(personalize.handlers);

    expect(execution.outcome).toBe('failed: TrainingFailed');
    const failed = execution.published.find((e) => e.detailType === 'Training Workflow Failed');
    expect(failed?.detail.failure).toEqual({ error: 'Personalize.CreateFailed', cause: 'Not enough data' });
  });
});

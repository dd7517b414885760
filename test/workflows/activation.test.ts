import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobTarget } from '../../lambdas/core/destinations/build-job';
import { MAX_CAUSE_BYTES, UserFacingError } from '../../lambdas/core/errors';
import { boundedErrors } from '../../lambdas/adapters/bounded-errors';
import {
  mergePartResults,
  summariseBuild,
  writePartList,
} from '../../lambdas/core/destinations/workflow-items';
import { MAX_IMPORT_POLLS, MAX_QUEUE_POLLS } from '../../lib/constructs/pinpoint-imports';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';
import { buildApp } from '../lib/synth';
import {
  definitionOf,
  itemProcessorOf,
  runLocally,
  StateSizes,
  type LocalHandler as Handler,
} from './definition';
import { simulateDistributedMaps } from './distributed-map';

const APP_ID = 'a'.repeat(32);
/** Step Functions refuses a state (input or output) over 256 KB: States.DataLimitExceeded. */
const STATE_LIMIT = 256 * 1024;
const RUN = 'run-1';
const CONTEXT = {
  Execution: { Id: `arn:aws:states:eu-west-1:111122223333:execution:activation:${RUN}`, Name: RUN },
};

// The trusted bucket of one local run: the build and merge stand-ins write the item files to it,
// the simulated maps read them and write their results to it, and the outcome handler reads it
// through a mocked S3 client.
const s3 = mockClient(S3Client);
let store = new MemoryObjectStore();
let target: JobTarget;
let decideOutcome: Handler;

/** Loads the outcome handler against the bucket the definition names. */
async function outcomeHandlerFor(definition: Record<string, unknown>): Promise<Handler> {
  const bucket = bucketOf(definition);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('TRUSTED_BUCKET', bucket);
  vi.resetModules();
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const body = store.objects.get(input.Key);
    if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: Readable.from([body]) };
  });
  return (await import('../../lambdas/handlers/activation-outcome')).handler as Handler;
}

/** The trusted bucket as the local definition spells it (the stand-in for its Ref). */
function bucketOf(definition: Record<string, unknown>): string {
  return (definition as { States: Record<string, any> }).States['Build each part'].ItemReader.Parameters
    .Bucket as string;
}

/** Runs a definition locally, with its Distributed Maps simulated over a fresh bucket. */
async function runActivation(
  definition: Record<string, unknown>,
  input: object,
  handlers: Record<string, Handler>,
  sizes = new StateSizes(),
) {
  store = new MemoryObjectStore();
  target = { store, bucket: bucketOf(definition), prefix: 'audiences/', holdoutPercent: 0 };
  const waitTimeOverrides = { 'Wait for import': 0 };
  const retryIntervalOverrides = {
    'Start import': 0,
    'Check import': 0,
    'Build audience files': 0,
    'Publish outcome': 0,
  };
  const all: Record<string, Handler> = {
    'Build audience files': async (request) => summariseBuild(target, request.jobName, request.run, built),
    'Decide outcome': decideOutcome,
    'Describe failure': decideOutcome,
    'Import failed': decideOutcome,
    'Import refused': decideOutcome,
    ...handlers,
  };
  const simulated = simulateDistributedMaps(definition, {
    store,
    handlers: all,
    waitTimeOverrides,
    retryIntervalOverrides,
    context: CONTEXT,
    stateSizes: sizes,
  });
  return runLocally(simulated.definition, input, {
    handlers: { ...all, ...simulated.handlers },
    publishStates: ['Publish outcome'],
    waitTimeOverrides,
    retryIntervalOverrides,
    context: CONTEXT,
    stateSizes: sizes,
  });
}

const jobEvent = {
  source: 'cdp.audiences',
  'detail-type': 'Batch Segment Job State Change',
  detail: {
    jobName: 'weekly-genres',
    jobArn: 'arn:aws:personalize:eu-west-1:111122223333:batch-segment-job/weekly-genres',
    status: 'ACTIVE',
    output: { bucket: 'trusted', key: 'segments/weekly-genres/' },
  },
};

const audience = (name: string, size: number) => ({
  name,
  query: `ITEMS.genres = "${name}"`,
  size,
  holdoutSize: Math.round(size / 10),
  unresolvedUsers: 0,
  importKey: `audiences/weekly-genres/${name}.csv`,
});

const built = {
  manifest: { bucket: 'trusted', key: 'audiences/weekly-genres/manifest.json' },
  audiences: [audience('action', 1000), audience('comedy', 500), audience('drama', 200)],
  skippedLines: 0,
};

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A fake Pinpoint: import jobs that finish after `pollsToFinish` checks, with a concurrency gauge. */
function fakePinpoint(
  options: { pollsToFinish?: number; finalStatus?: (jobId: string) => 'COMPLETED' | 'FAILED' } = {},
) {
  const polls = new Map<string, number>();
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  const start: Handler = async (input) => {
    started += 1;
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    const jobId = `job-${input.ImportJobRequest.SegmentName}`;
    polls.set(jobId, 0);
    return { ImportJobResponse: { Id: jobId, JobStatus: 'CREATED' } };
  };
  const check: Handler = async (input) => {
    await new Promise((r) => setTimeout(r, 1));
    const count = (polls.get(input.JobId) ?? 0) + 1;
    polls.set(input.JobId, count);
    const done = count >= (options.pollsToFinish ?? 2);
    const status = done ? (options.finalStatus?.(input.JobId) ?? 'COMPLETED') : 'IN_PROGRESS';
    if (done) running -= 1;
    return {
      ImportJobResponse: {
        Id: input.JobId,
        JobStatus: status,
        Definition: { SegmentId: `seg-${input.JobId}` },
        ...(status === 'FAILED' ? { Failures: ['Row 3: User.UserId is empty'] } : {}),
      },
    };
  };
  return { start, check, stats: () => ({ maxRunning, started }) };
}

describe('activation workflow (pinpoint destination), executed locally', () => {
  let definition: Record<string, unknown>;

  beforeAll(async () => {
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: APP_ID });
    definition = definitionOf(template, 'ActivationWorkflow');
    decideOutcome = await outcomeHandlerFor(definition);
  });

  async function run(handlers: Record<string, Handler>) {
    return runWith(jobEvent, handlers);
  }

  async function runWith(input: object, handlers: Record<string, Handler>) {
    const { outcome, published } = await runActivation(definition, input, handlers);
    expect(outcome).toBe('succeeded');
    expect(published).toHaveLength(1);
    return published[0]!;
  }

  it('imports every audience of the job and reports each segment with a console link', async () => {
    const pinpoint = fakePinpoint();

    const { detailType, detail } = await run({
      'Start import': pinpoint.start,
      'Check import': pinpoint.check,
    });

    expect(detailType).toBe('Audiences Imported');
    expect(detail.audiences.map((a: { name: string }) => a.name)).toEqual(['action', 'comedy', 'drama']);
    expect(detail.audiences[0]).toMatchObject({
      size: 1000,
      holdoutSize: 100,
      segmentId: 'seg-job-action',
      consoleUrl: expect.stringContaining(`#/apps/${APP_ID}/segments/seg-job-action`),
    });
    expect(detail.manifest).toEqual(built.manifest);
  });

  it('never runs more than two Pinpoint imports at once', async () => {
    const pinpoint = fakePinpoint({ pollsToFinish: 3 });

    await run({ 'Start import': pinpoint.start, 'Check import': pinpoint.check });

    expect(pinpoint.stats().started).toBe(3);
    expect(pinpoint.stats().maxRunning).toBeLessThanOrEqual(2);
  });

  it('waits and retries when Pinpoint refuses a start because its import slots are busy', async () => {
    const pinpoint = fakePinpoint();
    let refusals = 0;
    const busyThenStart: Handler = async (input) => {
      if (refusals < 3) {
        refusals += 1;
        throw new NamedError('Pinpoint.TooManyRequestsException', 'Too many concurrent import jobs');
      }
      return pinpoint.start(input);
    };

    const { detailType } = await run({ 'Start import': busyThenStart, 'Check import': pinpoint.check });

    expect(refusals).toBe(3);
    expect(detailType).toBe('Audiences Imported');
  });

  it('retries a start Pinpoint refuses as too many requests 12 times, from 60 s, ×1.5, at most 10 min apart, with jitter', () => {
    // Act
    const start = (itemProcessorOf(definition, 'Import each audience') as { States: Record<string, any> })
      .States['Start import'];

    // Assess
    expect(start.Retry[0]).toEqual({
      ErrorEquals: ['Pinpoint.TooManyRequestsException'],
      IntervalSeconds: 60,
      BackoffRate: 1.5,
      MaxDelaySeconds: 600,
      MaxAttempts: 12,
      JitterStrategy: 'FULL',
    });
  });

  it('reports a FAILED Pinpoint import with its reason and still lists the audiences that landed', async () => {
    const pinpoint = fakePinpoint({
      finalStatus: (jobId) => (jobId === 'job-comedy' ? 'FAILED' : 'COMPLETED'),
    });

    const { detailType, detail } = await run({
      'Start import': pinpoint.start,
      'Check import': pinpoint.check,
    });

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.failures).toEqual([
      { audience: 'comedy', reason: 'Pinpoint could not import the file: Row 3: User.UserId is empty.' },
    ]);
    expect(detail.imported.map((a: { name: string }) => a.name)).toEqual(['action', 'drama']);
  });

  it('says Pinpoint reached end of support when the API refuses the project', async () => {
    const refuse: Handler = async () => {
      throw new NamedError(
        'Pinpoint.ForbiddenException',
        'Amazon Pinpoint is no longer available for this account',
      );
    };

    const { detailType, detail } = await run({ 'Start import': refuse });

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.reason).toContain('end of support on 30 October 2026');
    expect(detail.reason).toContain('audienceDestination=s3');
    expect(detail.failures).toHaveLength(3);
  });

  it('gives up on an import that never finishes after a bounded number of polls', async () => {
    const pinpoint = fakePinpoint({ pollsToFinish: Number.POSITIVE_INFINITY });
    let checks = 0;
    const counted: Handler = async (input) => {
      checks += 1;
      return pinpoint.check(input);
    };

    const { detailType, detail } = await run({ 'Start import': pinpoint.start, 'Check import': counted });

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.failures[0].reason).toContain('did not finish');
    expect(checks).toBe(3 * MAX_IMPORT_POLLS);
  });

  it('reports an import whose response names no segment without breaking the run', async () => {
    // Prepare
    const pinpoint = fakePinpoint();
    const noSegment: Handler = async (input) => {
      const answer = (await pinpoint.check(input)) as { ImportJobResponse: Record<string, unknown> };
      const { Definition: _definition, ...rest } = answer.ImportJobResponse;
      return {
        ImportJobResponse: { ...rest, TotalProcessed: 10, TotalFailures: 2, Failures: ['Row 4: bad'] },
      };
    };

    // Act
    const { detailType, detail } = await run({ 'Start import': pinpoint.start, 'Check import': noSegment });

    // Assess
    expect(detailType).toBe('Audiences Imported');
    expect(detail.audiences[0]).not.toHaveProperty('segmentId');
    expect(detail.audiences[0].pinpointImport).toEqual({
      processed: 10,
      failed: 2,
      failedRows: ['Row 4: bad'],
    });
  });

  it('does not spend the running poll budget while Pinpoint queues the job (PENDING_JOB)', async () => {
    // Prepare: queued for longer than a running job may take, then it runs and completes.
    const pinpoint = fakePinpoint();
    const queuedChecks = new Map<string, number>();
    const queuedThenRuns: Handler = async (input) => {
      const seen = (queuedChecks.get(input.JobId) ?? 0) + 1;
      queuedChecks.set(input.JobId, seen);
      if (seen <= MAX_IMPORT_POLLS + 10)
        return { ImportJobResponse: { Id: input.JobId, JobStatus: 'PENDING_JOB' } };
      return pinpoint.check(input);
    };

    // Act
    const { detailType } = await run({ 'Start import': pinpoint.start, 'Check import': queuedThenRuns });

    // Assess
    expect(detailType).toBe('Audiences Imported');
  });

  it('gives up on a job queued past its own bound, and says the queue was the bound hit', async () => {
    // Prepare
    const pinpoint = fakePinpoint();
    let checks = 0;
    const alwaysQueued: Handler = async (input) => {
      checks += 1;
      return { ImportJobResponse: { Id: input.JobId, JobStatus: 'PENDING_JOB' } };
    };

    // Act
    const { detailType, detail } = await run({
      'Start import': pinpoint.start,
      'Check import': alwaysQueued,
    });

    // Assess
    expect(detailType).toBe('Audience Import Failed');
    expect(detail.failures[0].reason).toContain('PENDING_JOB');
    expect(checks).toBe(3 * MAX_QUEUE_POLLS);
  });

  it('fans out over the parts of a job with several .out files, then merges them before importing', async () => {
    const pinpoint = fakePinpoint();
    const calls: any[] = [];
    const buildFn: Handler = async (input) => {
      calls.push(input);
      if (input.merge) return mergePartResults(target, input.jobName, input.run, input.merge);
      if (input.part) {
        const name = input.part.split('/').pop();
        const manifest = { bucket: target.bucket, key: `audiences/weekly-genres/${name}/manifest.json` };
        return summariseBuild(
          target,
          input.jobName,
          input.run,
          { manifest, audiences: [audience(name, 10)], skippedLines: 0 },
          input.part,
        );
      }
      return writePartList(target, input.jobName, input.run, [
        'segments/weekly-genres/a.out',
        'segments/weekly-genres/b.out',
      ]);
    };

    const { detailType, detail } = await run({
      'Build audience files': buildFn,
      'Build part': buildFn,
      'Merge parts': buildFn,
      'Start import': pinpoint.start,
      'Check import': pinpoint.check,
    });

    expect(calls.filter((c) => c.part).map((c) => c.part)).toEqual([
      'segments/weekly-genres/a.out',
      'segments/weekly-genres/b.out',
    ]);
    expect(calls.filter((c) => c.part)[0].output).toEqual(jobEvent.detail.output);
    expect(calls.filter((c) => c.part)[0].run).toBe(RUN);
    expect(detailType).toBe('Audiences Imported');
    expect(detail.audiences.map((a: { name: string }) => a.name)).toEqual(['a.out', 'b.out']);
  });

  it('builds one part per item of the Distributed Map, passing the item as the whole payload', async () => {
    const item = {
      jobName: 'weekly-genres',
      run: RUN,
      output: jobEvent.detail.output,
      part: 'segments/weekly-genres/a.out',
    };
    const received: unknown[] = [];
    const { result } = await runLocally(itemProcessorOf(definition, 'Build each part'), item, {
      handlers: {
        'Build part': async (input: unknown) => {
          received.push(input);
          return built;
        },
      },
    });

    expect(received).toEqual([item]);
    expect(result).toEqual(built);
  });

  it('answers a hand-written event without a job name with an email that says what is missing', async () => {
    const { detailType, detail } = await runWith(
      { ...jobEvent, detail: { status: 'ACTIVE', output: jobEvent.detail.output } },
      {},
    );

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.jobName).toBe('(no job name in the event)');
    expect(detail.reason).toContain('needs detail.jobName (text)');
  });

  it('emails the build error in words, without a stack trace, when the build step fails', async () => {
    const failingBuild: Handler = async () => {
      const error = new NamedError('UserFacingError', 'weekly-genres.out line 3: not JSON');
      throw error;
    };

    const { detailType, detail } = await run({ 'Build audience files': failingBuild });

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.reason).toBe('weekly-genres.out line 3: not JSON');
  });
});

describe('activation workflow (s3 destination), executed locally', () => {
  let definition: Record<string, unknown>;

  beforeAll(async () => {
    const { template } = buildApp({ audienceDestination: 's3' });
    definition = definitionOf(template, 'ActivationWorkflow');
    decideOutcome = await outcomeHandlerFor(definition);
  });

  it('reports the audience files without calling Pinpoint', async () => {
    const { outcome, published } = await runActivation(definition, jobEvent, {});

    expect(outcome).toBe('succeeded');
    expect(published[0]?.detailType).toBe('Audiences Imported');
    expect(published[0]?.detail).toMatchObject({
      destination: 's3',
      audiences: [{ name: 'action' }, { name: 'comedy' }, { name: 'drama' }],
    });
    expect(JSON.stringify(definition)).not.toContain('pinpoint');
  });

  it('keeps every state far below 256 KB for a job of 10,000 parts', async () => {
    // Prepare: the build lists 10,000 .out parts; each part holds one audience.
    const parts = Array.from({ length: 10_000 }, (_, i) => `segments/weekly-genres/queries-${i}.json.out`);
    const build: Handler = async (input) => {
      if (input.merge) return mergePartResults(target, input.jobName, input.run, input.merge);
      if (input.part) {
        const name = input.part.split('/').pop().replace('.json.out', '');
        const manifest = { bucket: target.bucket, key: `audiences/weekly-genres/${name}/manifest.json` };
        return summariseBuild(
          target,
          input.jobName,
          input.run,
          { manifest, audiences: [audience(name, 10)], skippedLines: 0 },
          input.part,
        );
      }
      return writePartList(target, input.jobName, input.run, parts);
    };
    const sizes = new StateSizes();

    // Act
    const { outcome, published } = await runActivation(
      definition,
      jobEvent,
      { 'Build audience files': build, 'Build part': build, 'Merge parts': build },
      sizes,
    );

    // Assess
    expect(outcome).toBe('succeeded');
    expect(published[0]?.detail).toMatchObject({ moreAudiences: 10_000 - 200, totalUsers: 100_000 });
    expect(sizes.largest.get('Build part')).toBeGreaterThan(0);
    const largest = sizes.max();
    expect(largest.bytes, `largest state: ${largest.state}`).toBeLessThan(64 * 1024);
    expect(largest.bytes).toBeLessThan(STATE_LIMIT);
  }, 120_000);
});

describe('activation workflow state size (pinpoint destination), executed locally', () => {
  let definition: Record<string, unknown>;

  beforeAll(async () => {
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: APP_ID });
    definition = definitionOf(template, 'ActivationWorkflow');
    decideOutcome = await outcomeHandlerFor(definition);
  });

  it('keeps every state far below 256 KB when 500 audiences all fail to import with 4 KB causes', async () => {
    // Prepare
    const many = { ...built, audiences: Array.from({ length: 500 }, (_, i) => audience(`a${i}`, 10)) };
    const cause = JSON.stringify({ Message: `Bad request: ${'x'.repeat(4096)}` });
    const sizes = new StateSizes();

    // Act
    const { outcome, published } = await runActivation(
      definition,
      jobEvent,
      {
        'Build audience files': async (input) => summariseBuild(target, input.jobName, input.run, many),
        'Start import': async () => {
          throw Object.assign(new Error(cause), { name: 'Pinpoint.BadRequestException' });
        },
      },
      sizes,
    );

    // Assess
    expect(outcome).toBe('succeeded');
    const { detailType, detail } = published[0]!;
    expect(detailType).toBe('Audience Import Failed');
    expect(detail.reason).toMatch(
      /^500 of 500 audiences failed: Pinpoint rejected the import request: Bad request: x+…\.$/,
    );
    expect(detail.failures).toHaveLength(50);
    expect(detail.moreFailures).toBe(450);
    // The 4 KB cause entered only the child execution that caught it, and left it cut.
    expect(sizes.largest.get('Start import')).toBeGreaterThan(4096);
    const recorded = [...store.objects.keys()]
      .filter((key) => /^audiences\/_map-results\/.*\/SUCCEEDED_\d+\.json$/.test(key))
      .flatMap((key) => JSON.parse(store.text(key)) as { Output: string }[])
      .map((child) => JSON.parse(child.Output) as { cause: string });
    expect(recorded).toHaveLength(500);
    for (const { cause: cut } of recorded)
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_CAUSE_BYTES);
    const largest = sizes.max();
    expect(largest.bytes, `largest state: ${largest.state}`).toBeLessThan(64 * 1024);
    expect(largest.bytes).toBeLessThan(STATE_LIMIT);
  }, 120_000);

  it('still reports an import as failed when recording its cause fails', async () => {
    // Prepare
    const refuse: Handler = async () => {
      throw Object.assign(new Error('Bad request'), { name: 'Pinpoint.BadRequestException' });
    };
    const recorderDown: Handler = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    };

    // Act
    const { outcome, published } = await runActivation(definition, jobEvent, {
      'Start import': refuse,
      'Import refused': recorderDown,
    });

    // Assess
    expect(outcome).toBe('succeeded');
    expect(published[0]?.detailType).toBe('Audience Import Failed');
    expect(published[0]?.detail.failures).toHaveLength(3);
    expect(published[0]?.detail.reason).toContain('ImportFailureNotRecorded');
  });

  it('lets a 4 KB build error into the state only cut to a fixed length, and still emails it', async () => {
    // Prepare
    const sizes = new StateSizes();
    const failing = boundedErrors(async () => {
      throw new UserFacingError(`weekly-genres.out line 3: ${'y'.repeat(4096)}`);
    });

    // Act
    const { outcome, published } = await runActivation(
      definition,
      jobEvent,
      { 'Build audience files': failing },
      sizes,
    );

    // Assess
    expect(outcome).toBe('succeeded');
    expect(published[0]?.detail.reason).toMatch(/^weekly-genres\.out line 3: y+…$/);
    expect(sizes.largest.get('Describe failure')).toBeLessThan(2048);
  });
});

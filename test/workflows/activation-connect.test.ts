import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { summariseBuild } from '../../lambdas/core/destinations/workflow-items';
import { formatEmail } from '../../lambdas/core/notifications/format-email';
import { MAX_STALLED_POLLS } from '../../lib/constructs/connect-membership';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';
import { buildApp } from '../lib/synth';
import {
  definitionOf,
  itemProcessorOf,
  runLocally,
  type LocalHandler as Handler,
  validateWithPaths,
} from './definition';
import { simulateDistributedMaps } from './distributed-map';

const RUN = 'exec-1';
const CONTEXT = {
  Execution: { Name: RUN, Id: `arn:aws:states:eu-central-1:111122223333:execution:activation:${RUN}` },
};

const jobEvent = {
  source: 'cdp.audiences',
  'detail-type': 'Batch Segment Job State Change',
  detail: {
    jobName: 'weekly-genres',
    jobArn: 'arn:aws:personalize:eu-central-1:111122223333:batch-segment-job/weekly-genres',
    status: 'ACTIVE',
    output: { bucket: 'trusted', key: 'segments/weekly-genres/' },
  },
};

const audience = (key: string, size: number) => ({
  name: `${key}--weekly-genres`,
  audienceKey: key,
  query: `ITEMS.genres = "${key}"`,
  size,
  holdoutSize: Math.round(size / 10),
  unresolvedUsers: 0,
  importKey: `audiences/weekly-genres/${key}--weekly-genres.csv`,
});
const built = {
  manifest: { bucket: 'trusted', key: 'audiences/weekly-genres/manifest.json' },
  audiences: [audience('genres-action', 1000), audience('genres-drama', 200)],
  skippedLines: 0,
};

// The trusted bucket of one run: the build stand-in writes the audience list to it, the simulated
// map reads it and writes its results there, and the outcome handler reads them through a mocked S3.
const s3 = mockClient(S3Client);
let store = new MemoryObjectStore();

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A stand-in for the audience function: queued batches, receipts that arrive one per poll, a settled size. */
function connect(
  options: { batches?: number; receiptsPerPoll?: number; failedIn?: string; missing?: number } = {},
) {
  const polls = new Map<string, number>();
  const calls: { step: string; run: string; key: string; expected?: number }[] = [];
  const batches = options.batches ?? 3;
  const handler: Handler = async (input) => {
    const key = input.audience.audienceKey as string;
    calls.push({
      step: input.step,
      run: input.run,
      key,
      ...(input.expected !== undefined ? { expected: input.expected } : {}),
    });
    if (input.step === options.failedIn && key === 'genres-drama')
      throw new NamedError(
        'AccessDeniedException',
        'not authorized to perform profile:CreateSegmentDefinition',
      );
    const size = input.audience.audienceKey === 'genres-action' ? 900 : 180;
    if (input.step === 'queue')
      return {
        batches,
        diff: {
          entering: size,
          leaving: 0,
          staying: 0,
          current: size,
          previous: 0,
          heldOut: 0,
          firstRun: true,
        },
      };
    if (input.step === 'progress') {
      const count = (polls.get(key) ?? 0) + 1;
      polls.set(key, count);
      return { receipts: Math.min(batches, count * (options.receiptsPerPoll ?? 1)) };
    }
    const missing = key === 'genres-action' ? (options.missing ?? 0) : 0;
    return {
      audienceKey: key,
      segmentName: `cdp-${key}-v1`,
      writes: { applied: size - missing, failed: missing, throttled: 4, attempts: size + 4 },
      failureReasons: missing > 0 ? ['BadRequestException: no profile has this key'] : [],
      size:
        missing > 0
          ? {
              expected: size,
              estimated: size - missing,
              status: 'mismatch',
              warning: `Customer Profiles counts ${size - missing} profiles in the segment, ${size} were expected (difference ${missing}, over the 1 % tolerance).`,
            }
          : { expected: size, estimated: size, status: 'match' },
    };
  };
  return { handler, calls };
}

describe('activation workflow (connect-customer-profiles destination), executed locally', () => {
  let definition: Record<string, unknown>;
  let bucket: string;
  let decideOutcome: Handler;

  beforeAll(async () => {
    const { template } = buildApp({ audienceDestination: 'connect-customer-profiles' }, 'eu-central-1');
    definition = definitionOf(template, 'ActivationWorkflow');
    bucket = (definition as { States: Record<string, any> }).States['Apply each audience'].ItemReader
      .Parameters.Bucket as string;
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    vi.stubEnv('TRUSTED_BUCKET', bucket);
    vi.resetModules();
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      const body = store.objects.get(input.Key);
      if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return { Body: Readable.from([body]) };
    });
    decideOutcome = (await import('../../lambdas/handlers/activation-outcome')).handler as Handler;
  });

  async function run(audienceFunction: Handler) {
    store = new MemoryObjectStore();
    const target = { store, bucket, prefix: 'audiences/', holdoutPercent: 0 };
    const handlers: Record<string, Handler> = {
      'Build audience files': async (request) => summariseBuild(target, request.jobName, request.run, built),
      'Queue changes': audienceFunction,
      'Count receipts': audienceFunction,
      'Settle audience': audienceFunction,
      'Decide outcome': decideOutcome,
      'Describe failure': decideOutcome,
    };
    const waitTimeOverrides = { 'Wait for writes': 0 };
    const simulated = simulateDistributedMaps(definition, {
      store,
      handlers,
      waitTimeOverrides,
      context: CONTEXT,
    });
    const { outcome, published } = await runLocally(simulated.definition, jobEvent, {
      handlers: { ...handlers, ...simulated.handlers },
      publishStates: ['Publish outcome'],
      waitTimeOverrides,
      context: CONTEXT,
    });
    expect(outcome).toBe('succeeded');
    expect(published).toHaveLength(1);
    return published[0]!;
  }

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('queues each audience, waits for every batch receipt, then settles it and reports expected vs estimated', async () => {
    const fn = connect({ batches: 3 });

    const { detailType, detail } = await run(fn.handler);

    expect(detailType).toBe('Audiences Imported');
    expect(detail.destination).toBe('connect-customer-profiles');
    const action = detail.audiences.find((a: { name: string }) => a.name === 'genres-action--weekly-genres');
    expect(action.connect).toMatchObject({
      segmentName: 'cdp-genres-action-v1',
      entering: 900,
      written: 900,
      failed: 0,
      expected: 900,
      estimated: 900,
      sizeCheck: 'match',
    });
    const forAction = fn.calls.filter((c) => c.key === 'genres-action');
    expect(forAction.map((c) => c.step)).toEqual(['queue', 'progress', 'progress', 'progress', 'settle']);
    expect(forAction.every((c) => c.run === 'exec-1')).toBe(true);
    expect(forAction.at(-1)!.expected).toBe(900);
  });

  it('reports a segment smaller than expected as a warning, with what failed and why, in the event and the email', async () => {
    const { detailType, detail } = await run(connect({ missing: 45 }).handler);

    expect(detailType).toBe('Audiences Imported');
    const action = detail.audiences.find((a: { name: string }) => a.name === 'genres-action--weekly-genres');
    expect(action.connect).toMatchObject({ written: 855, failed: 45, estimated: 855, sizeCheck: 'mismatch' });
    const email = formatEmail({
      id: 'e-1',
      source: 'cdp.audiences',
      time: '2026-12-02T10:00:00Z',
      detailType,
      detail,
    } as never);
    expect(email.body).toMatch(/855 customers are now in segment cdp-genres-action-v1 \(expected 900\)/);
    expect(email.body).toMatch(/PARTIAL: the failed changes are in the membership dead-letter queue/);
    expect(email.body).toMatch(/- BadRequestException: no profile has this key/);
    expect(email.body).toMatch(
      /WARNING: Customer Profiles counts 855 profiles in the segment, 900 were expected/,
    );
  });

  it('reports an audience whose step failed, with the reason, and still lists the audience that landed', async () => {
    const { detailType, detail } = await run(connect({ failedIn: 'queue' }).handler);

    expect(detailType).toBe('Audience Import Failed');
    expect(detail.failures).toEqual([
      {
        audience: 'genres-drama--weekly-genres',
        reason: expect.stringMatching(/AccessDeniedException|profile:CreateSegmentDefinition/),
      },
    ]);
    expect(detail.imported.map((a: { name: string }) => a.name)).toEqual(['genres-action--weekly-genres']);
    expect(detail.imported[0].connect.sizeCheck).toBe('match');
  });

  it('settles at once an audience with no changes, without waiting for receipts', async () => {
    const fn = connect({ batches: 0 });

    const { detailType } = await run(fn.handler);

    expect(detailType).toBe('Audiences Imported');
    expect(fn.calls.filter((c) => c.step === 'progress')).toEqual([]);
  });

  it(`gives up on writes that stop progressing after ${MAX_STALLED_POLLS} polls without a new receipt`, async () => {
    const processor = itemProcessorOf(definition, 'Apply each audience');
    const fn = connect({ batches: 5, receiptsPerPoll: 0 });

    const { outcome, result } = await runLocally(
      processor,
      { audience: audience('genres-action', 10), run: 'exec-1', watch: { seen: 0, stalledPolls: 0 } },
      {
        handlers: {
          'Queue changes': fn.handler,
          'Count receipts': fn.handler,
          'Settle audience': fn.handler,
        },
        waitTimeOverrides: { 'Wait for writes': 0 },
      },
    );

    expect(outcome).toBe('succeeded');
    expect(result).toMatchObject({ outcome: 'FAILED', error: 'ConnectWritesStalled' });
    expect((result as { cause: string }).cause).toMatch(
      /^0 of 5 change batches were confirmed written, then none for 30 minutes/,
    );
    expect(fn.calls.filter((c) => c.step === 'progress')).toHaveLength(MAX_STALLED_POLLS);
    expect(fn.calls.some((c) => c.step === 'settle')).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { formatEmail } from '../../lambdas/core/notifications/format-email';
import {
  type BranchResult,
  deletionJobName,
  flattenOutcomes,
  overallStatus,
  planOtherStores,
  storeLines,
} from '../../lambdas/core/privacy/other-stores';
import type { RequestFileOutcome } from '../../lambdas/core/privacy/request-file';
import { handler as segmentHandler } from '../../lambdas/handlers/privacy-segment';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally, validateWithPaths } from './definition';

const LAKE = 'Run the request over the lake';
const FINISH = 'Close the request record';
const CREATE = 'Create data deletion job';
const DESCRIBE = 'Describe data deletion job (Deletion job)';
const DESTINATION = 'Erase from the destination';
const WAIT = 'Wait for data deletion job (Deletion job)';
const SEGMENT = 'Erase from Segment';
const PUBLISH_STATES = ['Publish request completed', 'Publish request failed', 'Publish lake step failure'];
const EXECUTION = 'privacy-requests-r1-0123abcd';
const context = {
  Execution: {
    Name: EXECUTION,
    Id: `arn:aws:states:eu-central-1:111122223333:execution:test-audiences-privacy:${EXECUTION}`,
  },
};
const ARN = 'arn:aws:personalize:eu-central-1:111122223333:';
const detail = {
  request: EXECUTION,
  invalidRows: [{ line: 4, reason: 'action is not access or erase' }],
  accesses: [
    { line: 2, markdownUrl: 'https://trusted.s3/export.md?X-Amz-Expires=86400', jsonUrl: 'https://j' },
  ],
  erasure: { lines: [3], rowsRemoved: 5, objectsRewritten: 2, objectsDeleted: 1 },
  stores: [],
};
/** The lake step's outcome for one erase row of a subject with a customer ID. */
const erased: RequestFileOutcome = {
  requestId: EXECUTION,
  invalidRows: [],
  accesses: [],
  erasure: {
    requestId: `${EXECUTION}-erase`,
    lines: [3],
    recordKey: `privacy/records/${EXECUTION}-erase.json`,
    rowsRemoved: 5,
    objectsRewritten: 2,
    objectsDeleted: 1,
    personalizeUsersKey: `privacy/deletions/${EXECUTION}-erase/personalize-users.csv`,
    customerIds: 1,
  },
};

/** What the lake function returns: its plan made by the same core as in the cloud. */
function lakeResult(outcome: RequestFileOutcome, datasetGroups: string[]) {
  const plan = planOtherStores(outcome, {
    trustedBucket: 'trusted-bucket',
    datasetGroups,
    personalizeArnPrefix: ARN,
  });
  const ok = Boolean(outcome.erasure && !outcome.erasure.error);
  return {
    ...outcome,
    failed: false,
    detail,
    stores: {
      ...plan,
      ...(ok ? { recordRequestId: outcome.erasure!.requestId } : {}),
      ...(ok ? { usersKey: outcome.erasure!.personalizeUsersKey } : {}),
      erased: ok,
    },
  };
}

/**
 * The Segment branch runs the real privacy-segment handler, deployed without a Public API token
 * (the default): it answers without calling Segment or S3.
 */
const segmentCalls: unknown[] = [];
async function segment(input: unknown) {
  segmentCalls.push(input);
  return segmentHandler(input, { getRemainingTimeInMillis: () => 900_000 });
}
beforeAll(() => {
  vi.stubEnv('TRUSTED_BUCKET', 'trusted-bucket');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** The finish step's stand-in: the same core merge as the lake function's `finish` mode (record aside). */
const finishCalls: any[] = [];
async function finish(input: any) {
  finishCalls.push(input);
  const outcomes = flattenOutcomes(input.outcomes as BranchResult[]);
  const status = overallStatus(outcomes);
  return {
    failed: input.failed || status !== 'completed',
    status,
    detail: EVENTS.privacyRequestCompleted.schema.parse({
      ...input.detail,
      stores: storeLines(outcomes, input.plan.erased),
    }),
  };
}

/** Describe answers, per job, in order; the last one repeats. */
function describeSequence(statuses: Record<string, { status: string; failureReason?: string }[]>) {
  const seen: Record<string, number> = {};
  const calls: string[] = [];
  const handler = async (input: { DataDeletionJobArn: string }) => {
    const jobArn = input.DataDeletionJobArn;
    calls.push(jobArn);
    const group = Object.keys(statuses).find(
      (g) => jobArn === `${ARN}data-deletion-job/${deletionJobName(`${EXECUTION}-erase`, g)}`,
    );
    if (!group) throw new Error(`unexpected job ${jobArn}`);
    const list = statuses[group]!;
    const at = Math.min(seen[jobArn] ?? 0, list.length - 1);
    seen[jobArn] = (seen[jobArn] ?? 0) + 1;
    return { dataDeletionJob: { dataDeletionJobArn: jobArn, ...list[at] } };
  };
  return { handler, calls };
}

function emailOf(published: { detailType: string; detail: unknown }) {
  return formatEmail({
    detailType: published.detailType,
    detail: published.detail,
    time: '2026-12-02T10:00:00Z',
    region: 'eu-central-1',
  });
}

describe('privacy workflow (Connect destination), executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(
      buildApp({ audienceDestination: 'connect-customer-profiles' }, 'eu-central-1').template,
      'PrivacyWorkflow',
    );
    finishCalls.length = 0;
  });

  it('is a valid definition, every JSONPath included', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('creates a deletion job per trained dataset group, polls each PENDING → IN_PROGRESS → COMPLETED, erases the destination, and completes', async () => {
    const creates: any[] = [];
    const destination: unknown[] = [];
    const polled = [{ status: 'PENDING' }, { status: 'IN_PROGRESS' }, { status: 'COMPLETED' }];
    const describe = describeSequence({ news: polled, shop: polled });
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, ['news', 'shop']),
          [CREATE]: async (input) => {
            creates.push(input);
            return { dataDeletionJobArn: `${ARN}data-deletion-job/${input.JobName}` };
          },
          [DESCRIBE]: describe.handler,
          [DESTINATION]: async (input) => {
            destination.push(input);
            return {
              store: 'Amazon Connect Customer Profiles (domain cdp-audiences)',
              action: 'deleted profiles',
              rows: 1,
              status: 'done',
              detail: '1 user ID(s) looked up, 0 not found',
            };
          },
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        waitTimeOverrides: { [WAIT]: 0 },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    // One job per group, on the USER_ID file the lake step wrote, with the deletion role.
    expect(creates.map((c) => c.DatasetGroupArn).sort()).toEqual([
      `${ARN}dataset-group/news`,
      `${ARN}dataset-group/shop`,
    ]);
    for (const create of creates) {
      expect(create.DataSource).toEqual({
        DataLocation: `s3://trusted-bucket/privacy/deletions/${EXECUTION}-erase/personalize-users.csv`,
      });
      expect(create.JobName).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/);
      expect(create.RoleArn).toMatch(/PrivacyPersonalizeDeletionRole/);
    }
    // Three checks each: PENDING and IN_PROGRESS wait, COMPLETED goes on.
    expect(describe.calls).toHaveLength(6);
    expect(destination).toEqual([{ usersKey: `privacy/deletions/${EXECUTION}-erase/personalize-users.csv` }]);
    // The finish step gets every branch's outcome, in branch order.
    const last = finishCalls.at(-1);
    expect(last.plan.recordRequestId).toBe(`${EXECUTION}-erase`);
    expect(flattenOutcomes(last.outcomes).map((o) => [o.store, o.status])).toEqual([
      ['Amazon Personalize (dataset group news)', 'done'],
      ['Amazon Personalize (dataset group shop)', 'done'],
      ['Amazon Connect Customer Profiles (domain cdp-audiences)', 'done'],
      ['Twilio Segment', 'manual'],
    ]);
    // Segment got the lake step's erasure and, without a token, said how to do it by hand.
    expect(segmentCalls.at(-1)).toMatchObject({
      lake: {
        erasure: { personalizeUsersKey: `privacy/deletions/${EXECUTION}-erase/personalize-users.csv` },
      },
    });
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.privacyRequestCompleted.detailType]);
    const email = emailOf(published[0]!);
    expect(email.subject).toContain('Privacy request completed');
    expect(email.body).toMatch(
      /Amazon Personalize \(dataset group shop\): done \(data deletion job\) - job del-.* completed/,
    );
    expect(email.body).toContain(
      'Amazon Connect Customer Profiles (domain cdp-audiences): done (deleted profiles, 1 record)',
    );
    expect(email.body).toContain('Twilio Segment: manual');
    expect(email.body).toContain('5 rows removed');
  });

  it('reports the destination failing while Personalize completes, and fails the execution for the alarm', async () => {
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, ['shop']),
          [CREATE]: async () => ({}),
          [DESCRIBE]: describeSequence({ shop: [{ status: 'COMPLETED' }] }).handler,
          [DESTINATION]: async () => {
            throw Object.assign(new Error('DeleteProfile: AccessDeniedException'), {
              name: 'AccessDeniedException',
            });
          },
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        waitTimeOverrides: { [WAIT]: 0 },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('failed: PrivacyRequestFailed');
    expect(flattenOutcomes(finishCalls.at(-1).outcomes).map((o) => [o.store, o.status, o.detail])).toEqual([
      ['Amazon Personalize (dataset group shop)', 'done', expect.stringMatching(/completed$/)],
      [
        'Amazon Connect Customer Profiles (domain cdp-audiences)',
        'failed',
        'the destination step stopped on AccessDeniedException; send the request again',
      ],
      ['Twilio Segment', 'manual', expect.stringContaining('must be done by hand')],
    ]);
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.privacyRequestFailed.detailType]);
    const email = emailOf(published[0]!);
    expect(email.body).toContain('Amazon Personalize (dataset group shop): done');
    expect(email.body).toContain(
      'Amazon Connect Customer Profiles (domain cdp-audiences): failed (deleted profiles) - the destination step stopped on AccessDeniedException',
    );
  });

  it("reports a FAILED deletion job with Personalize's reason while the other group and the destination complete", async () => {
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, ['news', 'shop']),
          [CREATE]: async () => ({}),
          [DESCRIBE]: describeSequence({
            shop: [
              { status: 'IN_PROGRESS' },
              { status: 'FAILED', failureReason: 'Access denied to the data location' },
            ],
            news: [{ status: 'COMPLETED' }],
          }).handler,
          [DESTINATION]: async () => ({
            store: 'Amazon Connect Customer Profiles (domain cdp-audiences)',
            action: 'deleted profiles',
            rows: 0,
            status: 'done',
          }),
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        waitTimeOverrides: { [WAIT]: 0 },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('failed: PrivacyRequestFailed');
    const stores = flattenOutcomes(finishCalls.at(-1).outcomes);
    expect(stores.map((o) => [o.store, o.status])).toEqual([
      ['Amazon Personalize (dataset group news)', 'done'],
      ['Amazon Personalize (dataset group shop)', 'failed'],
      ['Amazon Connect Customer Profiles (domain cdp-audiences)', 'done'],
      ['Twilio Segment', 'manual'],
    ]);
    expect(stores[1]!.detail).toMatch(/^job del-.* failed: Access denied to the data location$/);
    expect(emailOf(published[0]!).body).toContain('failed: Access denied to the data location');
  });

  it('reports a job still running after the poll bound as pending, and leaves the request failed for the alarm', async () => {
    const describe = describeSequence({ shop: [{ status: 'IN_PROGRESS' }] });
    const { outcome } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, ['shop']),
          [CREATE]: async () => ({}),
          [DESCRIBE]: describe.handler,
          [DESTINATION]: async () => ({ store: 'X', action: 'deleted profiles', status: 'done' }),
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        waitTimeOverrides: { [WAIT]: 0 },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('failed: PrivacyRequestFailed');
    // 72 checks, 30 minutes apart: 36 hours.
    expect(describe.calls).toHaveLength(72);
    const personalize = flattenOutcomes(finishCalls.at(-1).outcomes)[0]!;
    expect(personalize.status).toBe('pending');
    expect(personalize.detail).toContain('had not finished after 72 checks');
  });

  it('skips a dataset group Personalize does not know, without failing the request', async () => {
    const { outcome } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, ['gone']),
          [CREATE]: async () => {
            throw Object.assign(new Error('no such group'), {
              name: 'Personalize.ResourceNotFoundException',
            });
          },
          [DESTINATION]: async () => ({ store: 'X', action: 'deleted profiles', status: 'done' }),
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    expect(flattenOutcomes(finishCalls.at(-1).outcomes)[0]).toMatchObject({
      store: 'Amazon Personalize (dataset group gone)',
      status: 'skipped',
    });
  });

  it('skips Personalize and the destination for an access request, with the reason, and completes', async () => {
    const calls: string[] = [];
    const access: RequestFileOutcome = { requestId: EXECUTION, invalidRows: [], accesses: [] };
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(access, ['shop']),
          [CREATE]: async () => {
            calls.push(CREATE);
            return {};
          },
          [DESTINATION]: async () => {
            calls.push(DESTINATION);
            return {};
          },
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    expect(calls).toEqual([]);
    expect(flattenOutcomes(finishCalls.at(-1).outcomes)).toEqual([
      {
        store: 'Amazon Personalize',
        action: 'data deletion job',
        status: 'skipped',
        detail: 'no erase row in the request (access requests read the lake only)',
      },
      {
        store: 'Amazon Connect Customer Profiles (domain cdp-audiences)',
        action: 'none',
        status: 'skipped',
        detail: 'no erase row in the request (access requests read the lake only)',
      },
      {
        store: 'Twilio Segment',
        action: 'SUPPRESS_WITH_DELETE regulation',
        status: 'skipped',
        detail: 'no erase row in the request',
      },
    ]);
    // No erasure: no Segment step to do by hand either.
    expect(emailOf(published[0]!).body).not.toContain('Twilio Segment: manual');
  });

  it('reports a crashed lake step as Privacy Request Failed with the error, and fails', async () => {
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => {
            throw Object.assign(new Error('boom'), { name: 'Lambda.Unknown' });
          },
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toMatch(/^failed/);
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.privacyRequestFailed.detailType]);
    const failure = EVENTS.privacyRequestFailed.schema.parse(published[0]!.detail);
    expect(failure.reason).toContain('Lambda.Unknown');
    expect(failure.request).toBe(EXECUTION);
  });
});

describe('privacy workflow (S3 destination, the default), executed locally', () => {
  it('has no destination function: the destination branch reports S3 files as covered by the lake', async () => {
    const definition = definitionOf(buildApp().template, 'PrivacyWorkflow');
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => lakeResult(erased, []),
          [SEGMENT]: segment,
          [FINISH]: finish,
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    expect(flattenOutcomes(finishCalls.at(-1).outcomes).map((o) => [o.store, o.status, o.detail])).toEqual([
      ['Amazon Personalize', 'skipped', 'the stack has trained no dataset group yet'],
      [
        'Activation destination (S3 audience files)',
        'skipped',
        'audiences go to S3 files only, which the lake erasure covers',
      ],
      ['Twilio Segment', 'manual', expect.stringContaining('segmentPublicApiTokenSecretName')],
    ]);
    expect(emailOf(published[0]!).body).toContain('Twilio Segment: manual');
  });
});

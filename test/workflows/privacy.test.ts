import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { formatEmail } from '../../lambdas/core/notifications/format-email';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally } from './definition';

const LAKE = 'Run the request over the lake';
const PUBLISH_STATES = ['Publish request completed', 'Publish request failed', 'Publish lake step failure'];
const context = {
  Execution: {
    Name: 'privacy-requests-r1-0123abcd',
    Id: 'arn:aws:states:eu-west-1:111122223333:execution:test-audiences-privacy:privacy-requests-r1-0123abcd',
  },
};
const detail = {
  request: 'privacy-requests-r1-0123abcd',
  invalidRows: [{ line: 4, reason: 'action is not access or erase' }],
  accesses: [
    { line: 2, markdownUrl: 'https://trusted.s3/export.md?X-Amz-Expires=86400', jsonUrl: 'https://j' },
  ],
  erasure: { lines: [3], rowsRemoved: 5, objectsRewritten: 2, objectsDeleted: 1 },
  stores: [{ store: 'Twilio Segment', status: 'by hand', note: 'create a SUPPRESS_WITH_DELETE regulation' }],
};

describe('privacy workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'PrivacyWorkflow');
  });

  it('runs the lake step with the execution name as request ID and publishes Privacy Request Completed', async () => {
    const calls: unknown[] = [];
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async (input) => {
            calls.push(input);
            return { failed: false, detail };
          },
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    expect(calls).toEqual([{ key: 'privacy/requests/r1.csv', requestId: 'privacy-requests-r1-0123abcd' }]);
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.privacyRequestCompleted.detailType]);
    const email = formatEmail({
      detailType: published[0]!.detailType,
      detail: published[0]!.detail,
      time: '2026-12-02T10:00:00Z',
      region: 'eu-west-1',
    });
    expect(email.subject).toContain('Privacy request completed');
    expect(email.body).toContain('https://trusted.s3/export.md?X-Amz-Expires=86400');
    expect(email.body).toContain('5 rows removed');
    expect(email.body).toContain('Twilio Segment: by hand');
    expect(email.body).toContain('line 4: action is not access or erase');
  });

  it('publishes Privacy Request Failed and fails the execution (for the alarm) when a row failed', async () => {
    const { outcome, published } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async () => ({
            failed: true,
            detail: { ...detail, accesses: [{ line: 2, error: 'the identity map is unreadable' }] },
          }),
        },
        publishStates: PUBLISH_STATES,
        context,
      },
    );

    expect(outcome).toBe('failed: PrivacyRequestFailed');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.privacyRequestFailed.detailType]);
    expect(EVENTS.privacyRequestFailed.schema.parse(published[0]!.detail).accesses[0]!.error).toBe(
      'the identity map is unreadable',
    );
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
    expect(failure.request).toBe('privacy-requests-r1-0123abcd');
  });
});

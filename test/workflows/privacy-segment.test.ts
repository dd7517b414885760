import { beforeAll, describe, expect, it } from 'vitest';
import { segmentBranchStack } from '../lib/constructs/privacy-segment-stack';
import { definitionOf, runLocally, validateWithPaths } from './definition';

const INVOKE = 'Erase from Segment';
const PERSONALIZE = { store: 'Amazon Personalize', action: 'data deletion job', status: 'done' };
const STATE = {
  key: 'privacy/requests/r1.csv',
  lake: {
    failed: false,
    erasure: {
      requestId: 'r1-erase',
      personalizeUsersKey: 'privacy/deletions/r1-erase/personalize-users.csv',
      customerIds: 2,
    },
  },
};

describe('the Segment branch of the erasure, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(
      segmentBranchStack('cdp-audiences/segment-public-api-token').template,
      'SegmentBranch',
    );
  });

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('gives no state a bare-path Parameters, which Step Functions refuses at deploy', () => {
    const branch = (definition as any).States['Erase from the other stores'].Branches[0].States;
    const bare = Object.entries(branch as Record<string, { Parameters?: unknown }>).filter(
      ([, state]) =>
        'Parameters' in state && (typeof state.Parameters !== 'object' || state.Parameters === null),
    );
    expect(bare.map(([name]) => name)).toEqual([]);
  });

  it("hands the function the whole state and outputs the function's StoreOutcome", async () => {
    // Prepare
    const calls: unknown[] = [];
    const done = {
      store: 'Twilio Segment',
      action: 'SUPPRESS_WITH_DELETE regulation',
      rows: 2,
      status: 'done',
      detail: '1 of 1 regulation(s) created (reg-1), 2 user ID(s)',
    };

    // Act
    const { outcome, result } = await runLocally(definition, STATE, {
      handlers: {
        [INVOKE]: async (input) => {
          calls.push(input);
          return done;
        },
      },
    });

    // Assess
    expect(outcome).toBe('succeeded');
    expect(calls).toEqual([STATE]);
    expect(result).toEqual([done, PERSONALIZE]);
  });

  it('carries the manual outcome of a stack without a token through unchanged', async () => {
    const manual = {
      store: 'Twilio Segment',
      action: 'SUPPRESS_WITH_DELETE regulation',
      status: 'manual',
      detail: 'No Segment Public API token is configured, so this step must be done by hand: …',
    };
    const { outcome, result } = await runLocally(definition, STATE, {
      handlers: { [INVOKE]: async () => manual },
    });
    expect(outcome).toBe('succeeded');
    expect(result).toEqual([manual, PERSONALIZE]);
  });

  it('turns a failing function into a failed StoreOutcome and leaves the other branch intact', async () => {
    // Prepare
    let attempts = 0;

    // Act
    const { outcome, result } = await runLocally(definition, STATE, {
      handlers: {
        [INVOKE]: async () => {
          attempts += 1;
          const error = new Error('Task timed out after 300.00 seconds');
          error.name = 'States.TaskFailed';
          throw error;
        },
      },
    });

    // Assess
    expect(outcome).toBe('succeeded');
    expect(attempts).toBe(1);
    const [segment, other] = result as [Record<string, string>, unknown];
    expect(segment).toMatchObject({ store: 'Twilio Segment', status: 'failed' });
    expect(segment.detail).toContain('States.TaskFailed');
    expect(other).toEqual(PERSONALIZE);
  });

  it("retries Lambda's own throttling, then outputs the StoreOutcome", async () => {
    let attempts = 0;
    const { outcome, result } = await runLocally(definition, STATE, {
      handlers: {
        [INVOKE]: async () => {
          attempts += 1;
          if (attempts === 1) {
            const error = new Error('Rate exceeded');
            error.name = 'Lambda.TooManyRequestsException';
            throw error;
          }
          return { store: 'Twilio Segment', action: 'x', status: 'done' };
        },
      },
      retryIntervalOverrides: { [INVOKE]: 0 },
    });
    expect(outcome).toBe('succeeded');
    expect(attempts).toBe(2);
    expect((result as { status: string }[])[0]!.status).toBe('done');
  });
});

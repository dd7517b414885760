import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally } from './definition';

const LAKE = 'Run the request over the lake';
const context = { Execution: { Name: 'privacy-requests-r1-0123abcd' } };

describe('privacy workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'PrivacyWorkflow');
  });

  it('runs the lake step with the request file and the execution name as request ID', async () => {
    const calls: unknown[] = [];
    const { outcome } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      {
        handlers: {
          [LAKE]: async (input) => {
            calls.push(input);
            return { failed: false, accesses: [], invalidRows: [] };
          },
        },
        context,
      },
    );

    expect(outcome).toBe('succeeded');
    expect(calls).toEqual([{ key: 'privacy/requests/r1.csv', requestId: 'privacy-requests-r1-0123abcd' }]);
  });

  it('fails the execution (and so the alarm) when a row of the request failed', async () => {
    const { outcome } = await runLocally(
      definition,
      { key: 'privacy/requests/r1.csv' },
      { handlers: { [LAKE]: async () => ({ failed: true }) }, context },
    );

    expect(outcome).toBe('failed: PrivacyRequestFailed');
  });
});

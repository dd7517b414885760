import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { identitiesResolvedOf } from '../../lambdas/core/identity/identity-event';
import { resolveTrustedIdentities } from '../../lambdas/core/identity/identity-run';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally, type LocalHandler as Handler } from './definition';

const window = { name: 'identity-2026-12-02T13-20', runAfter: '2026-12-02T13:25:30Z' };
const PUBLISH_STATES = ['Publish identities', 'Publish identity failure'];
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:test-audiences-identity:' + window.name;

describe('identity workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'IdentityWorkflow');
  });

  it('waits for the window to close, resolves, and publishes Identities Resolved with the counts', async () => {
    const trusted = new MemoryObjectStore();
    const resolve: Handler = async () =>
      identitiesResolvedOf(await resolveTrustedIdentities(trusted), 'trusted');

    const { outcome, published } = await runLocally(definition, window, {
      handlers: { 'Resolve identities': resolve },
      publishStates: PUBLISH_STATES,
      waitTimeOverrides: { 'Wait for the window to close': 0 },
    });

    expect(outcome).toBe('succeeded');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.identitiesResolved.detailType]);
    expect(EVENTS.identitiesResolved.schema.parse(published[0]!.detail)).toMatchObject({
      records: 0,
      identityMap: { bucket: 'trusted', key: 'trusted/identity/identity_map/identity_map.parquet' },
    });
  });

  it('waits for another run to free the single slot instead of racing it', async () => {
    let calls = 0;
    const busyOnce: Handler = async () => {
      calls += 1;
      if (calls === 1)
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      return identitiesResolvedOf(await resolveTrustedIdentities(new MemoryObjectStore()), 'trusted');
    };

    const { outcome } = await runLocally(definition, window, {
      handlers: { 'Resolve identities': busyOnce },
      publishStates: PUBLISH_STATES,
      waitTimeOverrides: { 'Wait for the window to close': 0 },
      retryIntervalOverrides: { 'Resolve identities': 0 },
    });

    expect(outcome).toBe('succeeded');
    expect(calls).toBe(2);
  });

  it('reports a crashed run as Workflow Failed, and fails the execution for the alarm', async () => {
    const crash: Handler = async () => {
      throw Object.assign(new Error('out of memory'), { name: 'Runtime.OutOfMemory' });
    };

    const { outcome, published } = await runLocally(definition, window, {
      handlers: { 'Resolve identities': crash },
      publishStates: PUBLISH_STATES,
      waitTimeOverrides: { 'Wait for the window to close': 0 },
      context: { Execution: { Id: EXECUTION } },
    });

    expect(outcome).toBe('failed: IdentityFailed');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.workflowFailed.detailType]);
    const detail = EVENTS.workflowFailed.schema.parse(published[0]!.detail);
    expect(detail.reason).toContain('Runtime.OutOfMemory');
    expect(detail.executionArn).toBe(EXECUTION);
  });
});

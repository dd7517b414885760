import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/synth';
import { definitionOf } from './definition';

/** Every state, including those inside Map item processors. */
function allStates(definition: Record<string, any>): [string, Record<string, any>][] {
  return Object.entries(definition.States as Record<string, any>).flatMap(([name, state]) => [
    [name, state],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}

describe.each([
  ['ActivationWorkflow', { audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) }],
  ['ActivationWorkflow', { audienceDestination: 's3' }],
  ['ActivationWorkflow', { audienceDestination: 'connect-customer-profiles' }],
  ['SegmentSyncWorkflow', {}],
  ['IngestionWorkflow', {}],
  ['IdentityWorkflow', {}],
])('the %s definition (%j)', (machine, context) => {
  // Customer Profiles does not exist in eu-west-1 (CDK's template validation refuses the domain there).
  const region =
    (context as { audienceDestination?: string }).audienceDestination === 'connect-customer-profiles'
      ? 'eu-central-1'
      : undefined;
  const states = allStates(definitionOf(buildApp(context, region).template, machine));

  it('gives every Parameters field an object, as Step Functions requires (a bare path is rejected at deploy)', () => {
    const bare = states.filter(
      ([, s]) => 'Parameters' in s && (typeof s.Parameters !== 'object' || s.Parameters === null),
    );
    expect(bare.map(([name]) => name)).toEqual([]);
  });

  // Publishing the outcome is the report itself: if it fails, the execution fails and the
  // failed-execution alarm emails. A part's failure is caught by its Distributed Map.
  const reportedByTheAlarm = [
    'Build part',
    'Check range',
    'Write range',
    'Publish outcome',
    'Publish synced',
    'Publish kept batches',
    'Publish stopped',
    'Publish invalid event',
    'Publish ingest outcome',
    'Publish ingest crash',
    'Publish identities',
    'Publish identity failure',
  ];

  it('catches every other task, so no failure goes unreported', () => {
    const uncaught = states.filter(
      ([name, s]) => s.Type === 'Task' && !s.Catch && !reportedByTheAlarm.includes(name),
    );
    expect(uncaught.map(([name]) => name)).toEqual([]);
  });

  it('catches a result over 256 KB wherever it catches everything (States.ALL does not match it)', () => {
    const missing = states.filter(
      ([, s]) =>
        s.Catch?.some((c: { ErrorEquals: string[] }) => c.ErrorEquals.includes('States.ALL')) &&
        !s.Catch.some((c: { ErrorEquals: string[] }) => c.ErrorEquals.includes('States.DataLimitExceeded')),
    );
    expect(missing.map(([name]) => name)).toEqual([]);
  });

  it('retries every task on transient errors', () => {
    const unretried = states.filter(([, s]) => s.Type === 'Task' && !(s.Retry?.length > 0));
    expect(unretried.map(([name]) => name)).toEqual([]);
  });
});

import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, unacknowledgedNagFindings } from '../synth';

describe('propensity scoring construct', () => {
  let app: ReturnType<typeof buildApp>['app'];
  let template: Template;
  beforeAll(() => {
    ({ app, template } = buildApp({
      propensity: 'true',
      propensitySchedule: 'weekly',
      propensityOnIngest: 'true',
    }));
  });

  it('has no unacknowledged cdk-nag finding, schedule and ingest start included', () => {
    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });
});

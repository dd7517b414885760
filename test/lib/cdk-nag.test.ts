import { describe, expect, it } from 'vitest';
import { buildApp, unacknowledgedNagFindings } from './synth';

describe('cdk-nag AwsSolutions over the whole app', () => {
  it('finds no unacknowledged violation with the default config', () => {
    // Prepare
    const { app } = buildApp();

    // Act
    const findings = unacknowledgedNagFindings(app);

    // Assess
    expect(findings).toEqual([]);
  });

  it('finds no unacknowledged violation with an existing Pinpoint project', () => {
    const { app } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });

    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it('finds no unacknowledged violation when data is destroyed with the stack', () => {
    const { app } = buildApp({ removalPolicy: 'destroy' });

    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it('finds no unacknowledged violation with a Segment Public API token for erasures', () => {
    const { app } = buildApp({ segmentPublicApiTokenSecretName: 'cdp-audiences/segment-public-api-token' });

    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it('finds no unacknowledged violation with the Connect Customer Profiles destination', () => {
    const { app } = buildApp({ audienceDestination: 'connect-customer-profiles' }, 'eu-central-1');

    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { buildApp } from './synth';

type TrustStatement = {
  Principal: { Service?: string };
  Condition?: Record<string, Record<string, unknown>>;
};

describe('CdpAudiencesStack', () => {
  it('lets a service assume a role only for this account and a named source (confused deputy)', () => {
    // Prepare
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });

    // Act
    const statements = Object.values(template.findResources('AWS::IAM::Role')).flatMap(
      (role) => role.Properties.AssumeRolePolicyDocument.Statement as TrustStatement[],
    );
    // Lambda execution roles are left out: Lambda documents no source keys for assuming them.
    const assumedByServices = statements.filter((s) => s.Principal.Service !== 'lambda.amazonaws.com');

    // Assess
    expect(new Set(assumedByServices.map((s) => s.Principal.Service))).toEqual(
      new Set([
        'states.amazonaws.com',
        'events.amazonaws.com',
        'pinpoint.amazonaws.com',
        'personalize.amazonaws.com',
      ]),
    );
    for (const statement of assumedByServices) {
      expect(statement.Condition?.['StringEquals']?.['aws:SourceAccount']).toBe('111122223333');
      expect(statement.Condition?.['ArnLike']?.['aws:SourceArn']).toBeDefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';

describe('CdpWorkflow', () => {
  it('logs every state machine into a group under /aws/vendedlogs/states/ named after it', () => {
    // Prepare
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });

    // Act
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const groups = template.findResources('AWS::Logs::LogGroup');

    // Assess
    expect(machines.map((m) => m.Properties.StateMachineName as string).sort()).toEqual([
      'test-audiences-activation',
      'test-audiences-identity',
      'test-audiences-ingestion',
      'test-audiences-privacy',
      'test-audiences-segment-sync',
      'test-audiences-training',
    ]);
    for (const machine of machines) {
      const groupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup
        .LogGroupArn['Fn::GetAtt'][0] as string;
      expect(groups[groupId]!.Properties.LogGroupName).toBe(
        `/aws/vendedlogs/states/${machine.Properties.StateMachineName}`,
      );
    }
  });
});

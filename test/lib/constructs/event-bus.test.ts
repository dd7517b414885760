import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { EVENT_SOURCE } from '../../../lambdas/core/events/catalog';
import { buildApp } from '../synth';

describe('EventBus', () => {
  it('creates one custom bus named after the prefix', () => {
    const { template } = buildApp({ namePrefix: 'acme' });

    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'acme-audiences' });
  });

  it('archives every event of our source for 90 days so it can be replayed', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 90,
    });
  });
});

import type { Template } from 'aws-cdk-lib/assertions';

/**
 * The state machine definition of a synthesized template, with its CloudFormation tokens replaced
 * by readable stand-ins (a Lambda ARN ends in the logical ID), ready for aws-local-stepfunctions.
 */
export function definitionOf(template: Template, logicalIdPrefix: string): Record<string, unknown> {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [id, machine] =
    Object.entries(machines).find(([logicalId]) => logicalId.startsWith(logicalIdPrefix)) ?? [];
  if (!id || !machine) throw new Error(`no state machine ${logicalIdPrefix}* in the template`);
  const body = machine.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(standIn).join(body['Fn::Join'][0]);
  return JSON.parse(text) as Record<string, unknown>;
}

function standIn(part: unknown): string {
  if (typeof part === 'string') return part;
  const token = part as Record<string, unknown>;
  if (typeof token.Ref === 'string')
    return token.Ref.startsWith('AWS::') ? token.Ref.slice(5).toLowerCase() : token.Ref;
  const getAtt = token['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return `arn:aws:lambda:eu-west-1:111122223333:function:${getAtt[0]}`;
  throw new Error(`cannot stand in for ${JSON.stringify(part)}`);
}

/** The item processor of a Map state, as a state machine of its own. */
export function itemProcessorOf(
  definition: Record<string, unknown>,
  mapState: string,
): Record<string, unknown> {
  const state = (definition as { States: Record<string, any> }).States[mapState];
  if (!state?.ItemProcessor) throw new Error(`${mapState} is not a Map state`);
  const { ProcessorConfig: _config, ...machine } = state.ItemProcessor;
  return machine;
}

import { StateMachine } from 'aws-local-stepfunctions';
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

/** A task stand-in: gets the state's effective input, returns its result or throws its error. */
export type LocalHandler = (input: any) => Promise<unknown>;

/** An event a publish state would have put on the bus. */
export interface PublishedEvent {
  readonly detailType: string;
  readonly detail: any;
}

/**
 * Executes a definition locally (aws-local-stepfunctions) with stand-ins for its tasks. The states
 * named in `publishStates` record the events they would put on the bus instead of calling AWS.
 */
/**
 * The largest input or output of each state seen in local runs, in UTF-8 bytes of its JSON, as
 * Step Functions counts them against its 256 KB limit.
 */
export class StateSizes {
  readonly largest = new Map<string, number>();

  /** Reads a run's event log to its end, noting every state's input and output. */
  async record(events: AsyncIterable<unknown>): Promise<void> {
    for await (const event of events as AsyncIterable<{ type: string; state?: Record<string, unknown> }>) {
      if (event.type !== 'StateEntered' && event.type !== 'StateExited') continue;
      const { name, input, output } = event.state as { name: string; input?: unknown; output?: unknown };
      for (const data of [input, output]) if (data !== undefined) this.note(name, data);
    }
  }

  /** Notes one state's data. */
  note(state: string, data: unknown): void {
    const bytes = Buffer.byteLength(JSON.stringify(data));
    this.largest.set(state, Math.max(this.largest.get(state) ?? 0, bytes));
  }

  /** The largest state seen, and where. */
  max(): { state: string; bytes: number } {
    let top = { state: '(none)', bytes: 0 };
    for (const [state, bytes] of this.largest) if (bytes > top.bytes) top = { state, bytes };
    return top;
  }
}

export async function runLocally(
  definition: Record<string, unknown>,
  input: object,
  options: {
    readonly handlers: Record<string, LocalHandler>;
    readonly publishStates?: readonly string[];
    readonly waitTimeOverrides?: Record<string, number>;
    readonly retryIntervalOverrides?: Record<string, number>;
    /** The context object (`$$`) where a definition reads it, e.g. `{ Execution: { Id: … } }`. */
    readonly context?: Record<string, unknown>;
    /** Records the size of every state's input and output. */
    readonly stateSizes?: StateSizes;
  },
) {
  const published: PublishedEvent[] = [];
  const publish: LocalHandler = async (request: { Entries: { DetailType: string; Detail: unknown }[] }) => {
    // The Step Functions EventBridge integration accepts Detail as JSON and serializes it itself.
    for (const entry of request.Entries) {
      const detail = typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : entry.Detail;
      published.push({ detailType: entry.DetailType, detail });
    }
    return { Entries: request.Entries.map((_, i) => ({ EventId: `e-${i}` })), FailedEntryCount: 0 };
  };
  const machine = new StateMachine(
    definition as never,
    {
      validationOptions: { checkPaths: false, checkArn: false },
    } as never,
  );
  // AWS SDK integrations answer in PascalCase at every level, whatever the service's own casing.
  const sdkStates = sdkTaskStates(definition);
  const handlers = Object.fromEntries(
    Object.entries(options.handlers).map(([name, handler]) => [
      name,
      sdkStates.has(name) ? async (input: any) => pascalCaseKeys(await handler(input)) : handler,
    ]),
  );
  const execution = machine.run(
    input as never,
    {
      overrides: {
        taskResourceLocalHandlers: {
          ...Object.fromEntries((options.publishStates ?? []).map((name) => [name, publish])),
          ...handlers,
        },
        waitTimeOverrides: options.waitTimeOverrides,
        retryIntervalOverrides: options.retryIntervalOverrides,
      },
      ...(options.context ? { context: options.context } : {}),
    } as never,
  );
  const outcome = execution.result.then(
    (result: unknown) => ({ outcome: 'succeeded', result, published }),
    (error: Error) => ({
      outcome: `failed: ${((error.cause as Error | undefined) ?? error).name}`,
      result: undefined,
      published,
    }),
  );
  if (options.stateSizes) await options.stateSizes.record(execution.eventLogs);
  return outcome;
}

/** The names of every AWS SDK integration task (`arn:<partition>:states:::aws-sdk:…`), nested ones included. */
export function sdkTaskStates(definition: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  const visit = (machine: unknown) => {
    const states = (machine as { States?: Record<string, any> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (typeof state.Resource === 'string' && /^arn:[^:]+:states:::aws-sdk:/.test(state.Resource))
        names.add(name);
      visit(state.Iterator);
      visit(state.ItemProcessor);
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(definition);
  return names;
}

/**
 * Members whose values are maps (string keys the service chose, e.g. metric names): Step Functions
 * keeps those keys as they are.
 */
const MAP_MEMBERS = new Set(['Metrics']);

/**
 * A response as a Step Functions AWS SDK integration returns it: every structure member in
 * PascalCase (`{ DatasetGroup: { Status, FailureReason } }`), even where the service's API and the
 * JavaScript SDK say `status`. https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 */
export function pascalCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key[0]!.toUpperCase() + key.slice(1),
      MAP_MEMBERS.has(key[0]!.toUpperCase() + key.slice(1)) ? inner : pascalCaseKeys(inner),
    ]),
  );
}

/** asl-validator's verdict on a definition, with every JSONPath checked: throws what it finds. */
export function validateWithPaths(definition: Record<string, unknown>): void {
  new StateMachine(
    definition as never,
    { validationOptions: { checkPaths: true, checkArn: false } } as never,
  );
}

import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { EventDefinition } from '../../lambdas/core/events/catalog';
import { acknowledgeWildcard, acknowledgeWildcardsOf, arnToken } from '../nag';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';

/** Props of a project workflow. */
export interface CdpWorkflowProps {
  /** Name suffix: the state machine is named `<stack>-<name>`. */
  readonly name: string;
  /** The states. */
  readonly definition: sfn.IChainable;
  /** Hard limit of one execution. */
  readonly timeout: Duration;
  /** The Lambda functions the definition invokes. */
  readonly invokes: readonly lambda.IFunction[];
  /** The bus event that starts it, optionally narrowed on detail fields; none when a Lambda starts it by name. */
  readonly startOn?: {
    readonly eventBus: EventBus;
    readonly event: EventDefinition;
    readonly detail?: Record<string, unknown>;
  };
  /** Where undeliverable start events go and failed executions alarm. */
  readonly notifications: Notifications;
  /** Sentence for the failed-execution alarm. */
  readonly alarmDescription: string;
  /** What happens to the execution logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Every workflow of the project: a JSONPath state machine, traced, logging to its own group,
 * bounded in time, started by a rule on the bus (with a dead-letter queue), and alarmed on failure.
 */
export class CdpWorkflow extends sfn.StateMachine {
  constructor(scope: Construct, id: string, props: CdpWorkflowProps) {
    const stack = Stack.of(scope);
    const stateMachineName = `${stack.stackName}-${props.name}`;
    super(scope, id, {
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
      timeout: props.timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(scope, `${id}Logs`, {
          // Under /aws/vendedlogs/ CloudWatch Logs keeps the resource policy Step Functions'
          // log delivery needs from outgrowing its 5,120-character limit.
          logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: props.removalPolicy,
        }),
        level: sfn.LogLevel.ALL,
        // Execution data holds customer IDs and counts; keep it out of the logs.
        includeExecutionData: false,
      },
    });

    for (const fn of props.invokes) {
      acknowledgeWildcard(
        this.role,
        `Resource::${arnToken(fn)}:*`,
        'CDK grants invoke on the function and its versions; only this function is reachable.',
      );
    }
    acknowledgeWildcard(
      this.role,
      'Resource::*',
      'X-Ray tracing and log delivery accept no resource-level permissions.',
    );
    const distributedMapPolicy = this.node.tryFindChild('DistributedMapPolicy');
    if (distributedMapPolicy) {
      acknowledgeWildcardsOf(
        distributedMapPolicy,
        'A Distributed Map manages its own child executions, whose names are generated at run time.',
      );
    }

    props.notifications.alarmOnFailedExecutions(`${props.name}-failed-alarm`, this, props.alarmDescription);
    if (!props.startOn) return;
    const { eventBus, event, detail } = props.startOn;
    // EventBridge may assume the start role only for the rules of our bus (confused deputy). The
    // pattern, not the rule's own ARN: the rule names the role, so the role cannot name the rule.
    const startRole = new iam.Role(this, 'EventsRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: `${eventBus.bus.eventBusName}/*`,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
      description: `Lets the bus rules start the ${props.name} workflow`,
    });
    eventBus.addRule(`${props.name}-start`, [event], detail).addTarget(
      new targets.SfnStateMachine(this, {
        deadLetterQueue: props.notifications.deadLetterQueue,
        retryAttempts: 4,
        role: startRole,
      }),
    );
  }
}

/**
 * Catches every error of a state into `handler`, with the error at `resultPath`. States.ALL does
 * not match States.DataLimitExceeded (a result over 256 KB), so that one is named first.
 */
export function catchEvery(
  state: { addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown },
  handler: sfn.IChainable,
  resultPath: string,
): void {
  state.addCatch(handler, { errors: ['States.DataLimitExceeded'], resultPath });
  state.addCatch(handler, { errors: [sfn.Errors.ALL], resultPath });
}

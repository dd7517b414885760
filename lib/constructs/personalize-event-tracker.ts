import { type Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { personalizeCall, waitForActive } from './personalize-poll';

export interface EventTrackerStepsProps {
  /** The SSM parameter the relay reads the tracking ID from (`trackingIdParameterName`). */
  readonly parameterName: string;
  /** The dataset group's ARN in the state. */
  readonly datasetGroupArn: string;
  /** The tracker's name in the state (from the plan). */
  readonly trackerName: string;
  /** An ARN pattern of a Personalize resource type in this account and region. */
  readonly type: (name: string) => string;
  readonly interval: Duration;
  readonly maxPolls: number;
}

/**
 * The event tracker of the dataset group, for the real-time relay: reuse the group's tracker if it
 * has one, else create it (a group has at most one: CreateEventTracker fails on a second,
 * https://docs.aws.amazon.com/personalize/latest/dg/API_CreateEventTracker.html); wait until it is ACTIVE
 * (bounded, like every Personalize wait); then write its tracking ID to the SSM parameter the
 * relay reads. The state machine may write that one parameter and nothing else.
 */
export function eventTrackerSteps(scope: Construct, props: EventTrackerStepsProps): sfn.Chain {
  const stack = Stack.of(scope);
  const list = personalizeCall(scope, 'List event trackers', {
    action: 'listEventTrackers',
    parameters: { DatasetGroupArn: props.datasetGroupArn },
    iamResources: [props.type('dataset-group'), props.type('event-tracker')],
    resultSelector: { trackers: sfn.JsonPath.objectAt('$.EventTrackers') },
    resultPath: '$.tracker.list',
  });
  const reuse = new sfn.Pass(scope, 'Reuse event tracker', {
    parameters: { arn: sfn.JsonPath.stringAt('$.tracker.list.trackers[0].EventTrackerArn') },
    resultPath: '$.tracker.found',
  });
  const create = personalizeCall(scope, 'Create event tracker', {
    action: 'createEventTracker',
    parameters: { Name: props.trackerName, DatasetGroupArn: props.datasetGroupArn },
    iamResources: [props.type('event-tracker'), props.type('dataset-group')],
    resultSelector: { arn: sfn.JsonPath.stringAt('$.EventTrackerArn') },
    resultPath: '$.tracker.found',
  });
  const active = waitForActive(scope, 'Event tracker', {
    name: 'event tracker',
    action: 'describeEventTracker',
    parameters: { EventTrackerArn: sfn.JsonPath.stringAt('$.tracker.found.arn') },
    iamResources: [props.type('event-tracker')],
    responseKey: 'EventTracker',
    statePath: '$.poll',
    interval: props.interval,
    maxPolls: props.maxPolls,
  });
  // A parameter name starting with "/" follows "parameter" directly in its ARN.
  const parameterArn = `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${props.parameterName}`;
  const save = new tasks.CallAwsService(scope, 'Save tracking ID', {
    service: 'ssm',
    action: 'putParameter',
    parameters: {
      Name: props.parameterName,
      Value: sfn.JsonPath.stringAt('$.poll.last.resource.TrackingId'),
      Type: 'String',
      Overwrite: true,
      Description: 'Tracking ID of the Personalize event tracker the real-time relay sends to',
    },
    iamResources: [parameterArn],
    iamAction: 'ssm:PutParameter',
    resultPath: sfn.JsonPath.DISCARD,
  });
  return sfn.Chain.start(list).next(
    new sfn.Choice(scope, 'Has the group an event tracker?')
      .when(sfn.Condition.isPresent('$.tracker.list.trackers[0]'), reuse)
      .otherwise(create)
      .afterwards()
      .next(active)
      .next(save),
  );
}

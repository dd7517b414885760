import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Personalize's transient errors, retried on every call. */
const TRANSIENT = [
  'Personalize.ResourceInUseException',
  'Personalize.LimitExceededException',
  'Personalize.PersonalizeException',
];

/** A Personalize API call from Step Functions (SDK integration), scoped to the ARNs given, with retries. */
export function personalizeCall(
  scope: Construct,
  id: string,
  props: {
    readonly action: string;
    readonly parameters: Record<string, unknown>;
    readonly iamResources: string[];
    readonly resultSelector?: Record<string, unknown>;
    readonly resultPath?: string;
  },
): tasks.CallAwsService {
  const task = new tasks.CallAwsService(scope, id, {
    service: 'personalize',
    action: props.action,
    parameters: props.parameters,
    iamResources: props.iamResources,
    iamAction: `personalize:${props.action[0]!.toUpperCase()}${props.action.slice(1)}`,
    resultSelector: props.resultSelector,
    resultPath: props.resultPath ?? sfn.JsonPath.DISCARD,
  });
  task.addRetry({
    errors: TRANSIENT,
    interval: Duration.seconds(30),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

export interface WaitForActiveProps {
  /** Resource word for state names and messages: `dataset group`, `import job`, … */
  readonly name: string;
  /** The Describe call: `describeDatasetGroup`, … */
  readonly action: string;
  readonly parameters: Record<string, unknown>;
  readonly iamResources: string[];
  /** The response's object holding `Status` and `FailureReason`: `DatasetGroup`, … */
  readonly responseKey: string;
  readonly interval: Duration;
  /** Checks before the run fails: with the interval, the longest wait. */
  readonly maxPolls: number;
  /** Where the poll counter and the last status live in the state. */
  readonly statePath: string;
  /** Where a failed resource goes; default: a Fail state with Personalize's reason. */
  readonly onFailed?: sfn.IChainable;
  /**
   * Where the status is in the described resource; default `Status` (`LatestCampaignUpdate.Status` …).
   * Step Functions' SDK integrations answer in PascalCase at every level, not in Personalize's camelCase.
   */
  readonly statusField?: string;
  /** The status that means failed; default `CREATE FAILED` (`UPDATE FAILED` after an update). */
  readonly failedStatus?: string;
  /** Where the failure reason is in the described resource; default `FailureReason`. */
  readonly failureReasonField?: string;
  /** The status that means done; default `ACTIVE` (`COMPLETED` for a data deletion job). */
  readonly activeStatus?: string;
  /** Where the run goes after `maxPolls` checks; default a Fail state `Personalize.PollLimit`. */
  readonly onPollLimit?: sfn.IChainable;
  /** Where a Describe call that still fails after its retries goes (error at `<statePath>.error`); default: the run fails. */
  readonly onDescribeError?: sfn.IChainable;
}

/**
 * Personalize has no `.sync` integration: Describe → Choice → Wait, counted. ACTIVE goes on; CREATE
 * FAILED ends in a Fail state carrying Personalize's `FailureReason` as the cause (or goes to
 * `onFailed`); after `maxPolls` checks the run fails with `Personalize.PollLimit`.
 */
export function waitForActive(scope: Construct, id: string, props: WaitForActiveProps): sfn.Chain {
  const counter = `${props.statePath}.counter.value`;
  const start = new sfn.Pass(scope, `${id} start count`, {
    result: sfn.Result.fromObject({ value: 0 }),
    resultPath: `${props.statePath}.counter`,
  });
  const describe = personalizeCall(scope, `Describe ${props.name} (${id})`, {
    action: props.action,
    parameters: props.parameters,
    iamResources: props.iamResources,
    resultSelector: { resource: sfn.JsonPath.objectAt(`$.${props.responseKey}`) },
    resultPath: `${props.statePath}.last`,
  });
  const count = new sfn.Pass(scope, `${id} count`, {
    parameters: { value: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt(counter), 1) },
    resultPath: `${props.statePath}.counter`,
  });
  const wait = new sfn.Wait(scope, `Wait for ${props.name} (${id})`, {
    time: sfn.WaitTime.duration(props.interval),
  });
  const failed =
    props.onFailed ??
    new sfn.Fail(scope, `${id} failed`, {
      error: 'Personalize.CreateFailed',
      causePath: `${props.statePath}.last.resource.${props.failureReasonField ?? 'FailureReason'}`,
    });
  if (props.onDescribeError)
    describe.addCatch(props.onDescribeError, {
      errors: ['States.ALL'],
      resultPath: `${props.statePath}.error`,
    });
  const tooLong =
    props.onPollLimit ??
    new sfn.Fail(scope, `${id} poll limit`, {
      error: 'Personalize.PollLimit',
      cause: `The ${props.name} was not ACTIVE after ${props.maxPolls} checks, ${props.interval.toHumanString()} apart; it may still finish in Personalize. Run the workflow again later to reuse it.`,
    });
  const active = new sfn.Pass(scope, `${id} active`);
  const status = `${props.statePath}.last.resource.${props.statusField ?? 'Status'}`;
  const decide = new sfn.Choice(scope, `${id} status?`)
    .when(sfn.Condition.stringEquals(status, props.activeStatus ?? 'ACTIVE'), active)
    .when(sfn.Condition.stringEquals(status, props.failedStatus ?? 'CREATE FAILED'), failed)
    // The counter counts the checks before this one: the run stops after exactly maxPolls.
    .when(sfn.Condition.numberGreaterThanEquals(counter, props.maxPolls - 1), tooLong)
    .otherwise(count.next(wait).next(describe));
  return sfn.Chain.custom(start, [active], start.next(describe).next(decide));
}

/** A Create call that reuses what exists: `ResourceAlreadyExistsException` goes on as success. */
export function createOrReuse(task: tasks.CallAwsService, next: sfn.Chain): sfn.Chain {
  task.addCatch(next, {
    errors: ['Personalize.ResourceAlreadyExistsException'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  return sfn.Chain.start(task).next(next);
}

/**
 * Two ways to create the same resource (with an optional parameter, or without it: Step Functions
 * cannot pass an absent value), chosen by `condition`; either reuses what exists and goes on to `next`.
 */
export function createOrReuseEither(
  scope: Construct,
  id: string,
  condition: sfn.Condition,
  whenTrue: tasks.CallAwsService,
  otherwise: tasks.CallAwsService,
  next: sfn.Chain,
): sfn.Chain {
  const choice = new sfn.Choice(scope, id)
    .when(condition, createOrReuse(whenTrue, next))
    .otherwise(createOrReuse(otherwise, next));
  return sfn.Chain.custom(choice, next.endStates, choice);
}

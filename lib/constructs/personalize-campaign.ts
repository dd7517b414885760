import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { personalizeCall, waitForActive } from './personalize-poll';

export interface CampaignStepsProps {
  readonly campaignName: string;
  readonly campaignArn: string;
  readonly minProvisionedTps: number;
  /** The dataset group's ARN in the state. */
  readonly groupArn: string;
  /** An ARN pattern of a Personalize resource type in this account and region. */
  readonly type: (name: string) => string;
}

/** Campaign creation and updates: Personalize documents minutes; 60 checks a minute apart. */
const CAMPAIGN_POLL = { interval: Duration.minutes(1), maxPolls: 60 };
/** Training, as for the segmentation solution: 96 checks five minutes apart (8 h). */
const TRAINING_POLL = { interval: Duration.minutes(5), maxPolls: 96 };

/**
 * Real-time recommendations: create or reuse the group's USER_PERSONALIZATION solution
 * (`aws-user-personalization-v2`), train a version, then deploy it to the stack's one campaign: a
 * new campaign, or UpdateCampaign on the one that exists (new version, same minProvisionedTPS).
 * Every wait is bounded; a failure fails the run with Personalize's reason.
 */
export function campaignSteps(scope: Construct, props: CampaignStepsProps): sfn.Chain {
  const stack = Stack.of(scope);
  const plan = '$.prepare.plan.recommendations';
  const solutionArn = sfn.JsonPath.stringAt(`${plan}.solutionArn`);
  const createSolution = personalizeCall(scope, 'Create recommendation solution', {
    action: 'createSolution',
    parameters: {
      Name: sfn.JsonPath.stringAt(`${plan}.solutionName`),
      DatasetGroupArn: props.groupArn,
      RecipeArn: sfn.JsonPath.stringAt(`${plan}.recipeArn`),
    },
    iamResources: [
      props.type('solution'),
      props.type('dataset-group'),
      `arn:${stack.partition}:personalize:::recipe/*`,
    ],
  });
  const solutionActive = waitForActive(scope, 'Recommendation solution', {
    name: 'recommendation solution',
    action: 'describeSolution',
    parameters: { SolutionArn: solutionArn },
    iamResources: [props.type('solution')],
    responseKey: 'Solution',
    statePath: '$.poll',
    interval: Duration.seconds(30),
    maxPolls: 60,
  });
  createSolution.addCatch(solutionActive, {
    errors: ['Personalize.ResourceAlreadyExistsException'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  const train = personalizeCall(scope, 'Create recommendation solution version', {
    action: 'createSolutionVersion',
    parameters: { SolutionArn: solutionArn, TrainingMode: 'FULL' },
    iamResources: [props.type('solution')],
    resultSelector: { arn: sfn.JsonPath.stringAt('$.SolutionVersionArn') },
    resultPath: '$.recommendationVersion',
  });
  const trained = waitForActive(scope, 'Recommendation solution version', {
    name: 'recommendation solution version',
    action: 'describeSolutionVersion',
    parameters: { SolutionVersionArn: sfn.JsonPath.stringAt('$.recommendationVersion.arn') },
    iamResources: [props.type('solution')],
    responseKey: 'SolutionVersion',
    statePath: '$.poll',
    ...TRAINING_POLL,
  });

  const versionArn = sfn.JsonPath.stringAt('$.recommendationVersion.arn');
  const create = personalizeCall(scope, 'Create campaign', {
    action: 'createCampaign',
    parameters: {
      Name: props.campaignName,
      SolutionVersionArn: versionArn,
      MinProvisionedTPS: props.minProvisionedTps,
    },
    iamResources: [props.campaignArn, props.type('solution')],
  });
  const created = waitForActive(scope, 'Campaign', {
    name: 'campaign',
    action: 'describeCampaign',
    parameters: { CampaignArn: props.campaignArn },
    iamResources: [props.campaignArn],
    responseKey: 'Campaign',
    statePath: '$.poll',
    ...CAMPAIGN_POLL,
  });
  const update = personalizeCall(scope, 'Update campaign', {
    action: 'updateCampaign',
    parameters: {
      CampaignArn: props.campaignArn,
      SolutionVersionArn: versionArn,
      MinProvisionedTPS: props.minProvisionedTps,
    },
    iamResources: [props.campaignArn, props.type('solution')],
  });
  // During an update the campaign stays ACTIVE on the old version; the update has its own status.
  const updated = waitForActive(scope, 'Campaign update', {
    name: 'campaign update',
    action: 'describeCampaign',
    parameters: { CampaignArn: props.campaignArn },
    iamResources: [props.campaignArn],
    responseKey: 'Campaign',
    statePath: '$.poll',
    statusField: 'LatestCampaignUpdate.Status',
    failureReasonField: 'LatestCampaignUpdate.FailureReason',
    ...CAMPAIGN_POLL,
  });
  create.addCatch(update, {
    errors: ['Personalize.ResourceAlreadyExistsException'],
    resultPath: sfn.JsonPath.DISCARD,
  });
  const deployed = new sfn.Pass(scope, 'Campaign deployed');
  create.next(created).next(deployed);
  update.next(updated).next(deployed);

  return sfn.Chain.custom(
    createSolution,
    [deployed],
    createSolution.next(solutionActive).next(train).next(trained).next(create),
  );
}

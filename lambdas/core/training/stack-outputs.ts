/**
 * The CloudFormation outputs `cdp train` reads to find a deployed stack's landing bucket and
 * training workflow: the stack writes them under these names, the CLI looks them up by them.
 */
export const STACK_OUTPUTS = {
  landingBucket: 'LandingBucketName',
  trainingStateMachine: 'TrainingStateMachineArn',
  /** The privacy workflow, which `cdp privacy … --stack` waits for. */
  privacyStateMachine: 'PrivacyStateMachineArn',
} as const;

/** The files of a training folder in upload order: training.json last, as its upload starts the run. */
export const TRAINING_UPLOAD_ORDER = ['interactions.csv', 'items.csv', 'users.csv', 'training.json'] as const;

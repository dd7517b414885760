import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserFacingError } from '../../core/errors';
import { executionNameOf } from '../../core/training/prepare-run';
import { STACK_OUTPUTS, TRAINING_UPLOAD_ORDER } from '../../core/training/stack-outputs';
import { parseTrainingConfig } from '../../core/training/training-config';
import type { Console } from './ingest';
import type { RegisterCommand } from './index';
import { preflightFolder } from './preflight';

/**
 * `cdp train <folder> [--stack <name>]`: runs the pre-flight locally, then uploads the folder to
 * `personalize/<dataset-group>/` in the landing bucket of a deployed stack (found from the stack's
 * CloudFormation outputs), training.json last because its upload starts the run, and prints the
 * Step Functions console link of that run.
 */

export const DEFAULT_STACK = 'cdp-audiences';

export interface TrainOptions {
  readonly stack: string;
  readonly maxBadShare?: number;
  readonly cloudFormation: CloudFormationClient;
  readonly s3: S3Client;
}

export interface TrainRun {
  readonly status: 0 | 1;
  /** The keys uploaded, in order. */
  readonly uploaded: readonly string[];
  readonly executionArn?: string;
  readonly consoleUrl?: string;
}

export const registerTrain: RegisterCommand = (program) => {
  program
    .command('train')
    .description(
      'Pre-flight a training folder, then upload it to a deployed stack’s landing bucket (training.json last) and link to the run.',
    )
    .argument('<folder>', 'the folder with training.json and the CSVs, e.g. data/sample/personalize')
    .option('--stack <name>', 'the deployed stack (its CloudFormation name)', DEFAULT_STACK)
    .action(async (folder: string, options: { stack: string }) => {
      // Credentials and region come from the environment, as for the AWS CLI.
      const run = await trainFolder(
        folder,
        { stack: options.stack, cloudFormation: new CloudFormationClient({}), s3: new S3Client({}) },
        console,
      );
      process.exitCode = run.status;
    });
};

export async function trainFolder(folder: string, options: TrainOptions, out: Console): Promise<TrainRun> {
  const preflight = await preflightFolder(
    folder,
    options.maxBadShare === undefined ? {} : { maxBadShare: options.maxBadShare },
    out,
  );
  if (preflight.status !== 0) {
    out.error('nothing was uploaded: fix the problems above, then run cdp train again');
    return { status: 1, uploaded: [] };
  }
  const group = parseTrainingConfig(await readFile(path.join(folder, 'training.json'), 'utf8')).config
    .datasetGroup.name;
  const outputs = await stackOutputs(options.cloudFormation, options.stack);
  const bucket = outputs.get(STACK_OUTPUTS.landingBucket);
  const stateMachineArn = outputs.get(STACK_OUTPUTS.trainingStateMachine);
  if (!bucket || !stateMachineArn) {
    throw new UserFacingError(
      `stack ${options.stack} has no ${STACK_OUTPUTS.landingBucket} or ${STACK_OUTPUTS.trainingStateMachine} output; deploy this version of cdp-audiences (npx cdk deploy) first`,
    );
  }

  const uploaded: string[] = [];
  let etag = '';
  for (const file of TRAINING_UPLOAD_ORDER) {
    const local = path.join(folder, file);
    const size = (await stat(local).catch(() => undefined))?.size;
    if (size === undefined) continue;
    const key = `personalize/${group}/${file}`;
    const upload = new Upload({
      client: options.s3,
      params: {
        Bucket: bucket,
        Key: key,
        Body: createReadStream(local),
        ContentType: file.endsWith('.json') ? 'application/json' : 'text/csv',
      },
    });
    upload.on('httpUploadProgress', (progress) => {
      out.log(
        `  ${file}: ${megabytes(progress.loaded ?? 0)} of ${megabytes(size)} MB (${percent(progress.loaded ?? 0, size)})`,
      );
    });
    out.log(`uploading ${file} (${megabytes(size)} MB) to s3://${bucket}/${key}`);
    const result = await upload.done();
    etag = result.ETag ?? '';
    uploaded.push(key);
  }

  // The run is named from training.json's key and ETag (start-training.ts), so its ARN is known now.
  const trainingKey = uploaded.at(-1)!;
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionNameOf(trainingKey, etag)}`;
  const region = stateMachineArn.split(':')[3]!;
  const consoleUrl = `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
  out.log(`training.json uploaded last: the run starts within a minute (the link works once it has)`);
  out.log(consoleUrl);
  return { status: 0, uploaded, executionArn, consoleUrl };
}

/** The outputs of a deployed stack, by key. */
export async function stackOutputs(
  client: CloudFormationClient,
  stack: string,
): Promise<Map<string, string>> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    return new Map(
      (Stacks?.[0]?.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue] as const] : [],
      ),
    );
  } catch (error) {
    if ((error as Error).name === 'ValidationError') {
      throw new UserFacingError(
        `stack ${stack} is not deployed in this account and region; deploy it (npx cdk deploy) or name it with --stack <name>`,
      );
    }
    throw error;
  }
}

const megabytes = (bytes: number) => (bytes / 1_000_000).toFixed(1);
const percent = (part: number, whole: number) => `${whole === 0 ? 100 : Math.round((100 * part) / whole)}%`;

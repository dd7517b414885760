import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionNameOf } from '../../lambdas/core/training/prepare-run';
import { UserFacingError } from '../../lambdas/core/errors';
import { trainFolder } from '../../lambdas/local/commands/train';
import { startS3rver, s3rverClient, type LocalS3 } from '../adapters/s3rver';

const BUCKET = 'landing';
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:cdp-audiences-training';
const cloudFormation = mockClient(CloudFormationClient);
let s3rver: LocalS3;
let s3: S3Client;
let root: string;

beforeAll(async () => {
  s3rver = await startS3rver(BUCKET);
  s3 = s3rverClient(s3rver);
  root = await mkdtemp(path.join(tmpdir(), 'cdp-train-'));
}, 30_000);

afterAll(async () => {
  await s3rver.stop();
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: 'cdp-audiences' }).resolves({
    Stacks: [
      {
        StackName: 'cdp-audiences',
        CreationTime: new Date(0),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'LandingBucketName', OutputValue: BUCKET },
          { OutputKey: 'TrainingStateMachineArn', OutputValue: MACHINE },
        ],
      },
    ],
  });
});

const recorder = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
};
const options = (stack = 'cdp-audiences') => ({
  stack,
  cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
  s3,
});

describe('cdp train', () => {
  it('uploads the sample under personalize/<group>/ with training.json last, shows progress and links to the run', async () => {
    const out = recorder();

    const run = await trainFolder('data/sample/personalize', options(), out);

    expect(run.status).toBe(0);
    expect(run.uploaded).toEqual([
      'personalize/cdp-sample/interactions.csv',
      'personalize/cdp-sample/items.csv',
      'personalize/cdp-sample/users.csv',
      'personalize/cdp-sample/training.json',
    ]);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'personalize/cdp-sample/' }),
    );
    expect(listed.KeyCount).toBe(4);
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'personalize/cdp-sample/training.json' }),
    );
    expect(await stored.Body!.transformToString()).toBe(
      await readFile('data/sample/personalize/training.json', 'utf8'),
    );
    const uploads = out.lines.filter((line) => line.startsWith('uploading '));
    expect(uploads.at(-1)).toMatch(/^uploading training\.json/);
    expect(out.lines.some((line) => /^ {2}interactions\.csv: [\d.]+ of [\d.]+ MB \(100%\)$/.test(line))).toBe(
      true,
    );
    const name = executionNameOf('personalize/cdp-sample/training.json', stored.ETag!);
    expect(run.executionArn).toBe(
      `arn:aws:states:eu-west-1:111122223333:execution:cdp-audiences-training:${name}`,
    );
    expect(out.lines.at(-1)).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${run.executionArn}`,
    );
  });

  it('refuses a folder that fails the pre-flight, uploads nothing and asks no stack', async () => {
    const folder = path.join(root, 'broken');
    await cp('data/sample/personalize', folder, { recursive: true });
    const lines = (await readFile(path.join(folder, 'interactions.csv'), 'utf8')).split('\n').slice(0, 500);
    await writeFile(path.join(folder, 'interactions.csv'), `${lines.join('\n')}\n`);
    const config = JSON.parse(await readFile(path.join(folder, 'training.json'), 'utf8'));
    await writeFile(
      path.join(folder, 'training.json'),
      JSON.stringify({ ...config, datasetGroup: { name: 'refused' } }),
    );
    const out = recorder();

    const run = await trainFolder(folder, options(), out);

    expect(run).toEqual({ status: 1, uploaded: [] });
    expect(out.lines.at(-1)).toBe('nothing was uploaded: fix the problems above, then run cdp train again');
    expect(cloudFormation.calls()).toHaveLength(0);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'personalize/refused/' }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('names the stack it could not find and the --stack option', async () => {
    const error = Object.assign(new Error('Stack with id other does not exist'), { name: 'ValidationError' });
    cloudFormation.on(DescribeStacksCommand, { StackName: 'other' }).rejects(error);

    await expect(trainFolder('data/sample/personalize', options('other'), recorder())).rejects.toThrow(
      new UserFacingError(
        'stack other is not deployed in this account and region; deploy it (npx cdk deploy) or name it with --stack <name>',
      ),
    );
  });

  it('says to redeploy when the stack predates the outputs cdp train reads', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'old' }).resolves({
      Stacks: [{ StackName: 'old', CreationTime: new Date(0), StackStatus: 'UPDATE_COMPLETE', Outputs: [] }],
    });

    await expect(trainFolder('data/sample/personalize', options('old'), recorder())).rejects.toThrow(
      /stack old has no LandingBucketName or TrainingStateMachineArn output; deploy this version/,
    );
  });
});

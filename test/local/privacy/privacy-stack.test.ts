import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ingestExecutionName } from '../../../lambdas/core/ingest/execution-names';
import { privacyStack } from '../../../lambdas/local/commands/privacy-stack';

const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:cdp-audiences-privacy';
const cloudFormation = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);

function recorder() {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    console: { log: (l: string) => lines.push(l), error: (l: string) => errors.push(l) },
  };
}

const options = () => ({
  stack: 'cdp-audiences',
  cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
  s3: new S3Client({ region: 'eu-west-1' }),
  sfn: new SFNClient({ region: 'eu-west-1' }),
  pollMs: 1000,
  waitMs: 10_000,
  sleep: async () => undefined,
  now: () => new Date('2026-12-02T18:00:00Z'),
});

const accessDetail = {
  request: 'x',
  accesses: [{ line: 2, markdownUrl: 'https://signed/md', jsonUrl: 'https://signed/json' }],
  urlsExpireAt: '2026-12-03T18:00:00.000Z',
};

beforeEach(() => {
  cloudFormation.reset();
  s3.reset();
  sfn.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: 'cdp-audiences' }).resolves({
    Stacks: [
      {
        StackName: 'cdp-audiences',
        CreationTime: new Date(0),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'LandingBucketName', OutputValue: 'landing' },
          { OutputKey: 'PrivacyStateMachineArn', OutputValue: MACHINE },
        ],
      },
    ],
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"etag-1"' });
});

describe('cdp privacy --stack', () => {
  it('uploads a one-row request, waits for its execution and prints the pre-signed URLs of an access', async () => {
    // Prepare: the execution does not exist yet, then runs, then succeeds.
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} }))
      .resolvesOnce({ status: 'RUNNING' } as never)
      .resolves({
        status: 'SUCCEEDED',
        output: JSON.stringify({ key: 'k', lake: { detail: accessDetail } }),
      } as never);
    const out = recorder();

    // Act
    const run = await privacyStack('access', ['ann@example.com'], options(), out.console);

    // Assess
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Bucket).toBe('landing');
    expect(put.Key).toMatch(/^privacy\/requests\/cli-20261202T180000-[0-9a-f]{8}\.csv$/);
    expect(put.Body).toBe('subject,action\r\nann@example.com,access\r\n');
    const name = ingestExecutionName(put.Key!, '"etag-1"');
    expect(run.executionArn).toBe(
      `arn:aws:states:eu-west-1:111122223333:execution:cdp-audiences-privacy:${name}`,
    );
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      run.executionArn,
      run.executionArn,
      run.executionArn,
    ]);
    expect(run).toMatchObject({ status: 0, executionStatus: 'SUCCEEDED' });
    expect(out.lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('waiting for the workflow to start'),
        expect.stringContaining('running'),
        'export (Markdown): https://signed/md',
        'export (JSON): https://signed/json',
        'the links stop working at 2026-12-03T18:00:00.000Z',
      ]),
    );
    expect(out.lines.join('\n')).not.toContain('ann@example.com');
  });

  it('erases several people in one file and prints what each store did, from the history when it failed', async () => {
    // Prepare: the lake step ran, a store outside the lake must be done by hand, and a row failed.
    const detail = {
      request: 'x',
      erasure: { lines: [2, 3], rowsRemoved: 7, objectsRewritten: 3, objectsDeleted: 1 },
      stores: [
        { store: 'Twilio Segment', status: 'by hand', note: 'create a SUPPRESS_WITH_DELETE regulation' },
      ],
      invalidRows: [{ line: 4, reason: 'subject is empty' }],
    };
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'PrivacyRequestFailed' } as never);
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 9,
          timestamp: new Date(),
          type: 'TaskStateExited',
          stateExitedEventDetails: {
            name: 'Run the request over the lake',
            output: JSON.stringify({ key: 'k', lake: { detail } }),
          },
        },
      ],
    });
    const out = recorder();

    // Act
    const run = await privacyStack('erase', ['C1', 'Doe, "J"', ''], options(), out.console);

    // Assess
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body).toBe(
      'subject,action\r\nC1,erase\r\n"Doe, ""J""",erase\r\n,erase\r\n',
    );
    expect(run).toMatchObject({ status: 1, executionStatus: 'FAILED' });
    const table = out.lines.join('\n');
    expect(table).toMatch(
      /lake \(landing, trusted, quarantine\)\s+done\s+7 rows removed, 3 files rewritten, 1 deleted/,
    );
    expect(table).toMatch(/Twilio Segment\s+by hand\s+create a SUPPRESS_WITH_DELETE regulation/);
    expect(table).toMatch(/request line 4\s+refused\s+subject is empty/);
    expect(out.errors.join('\n')).toContain('the request FAILED: PrivacyRequestFailed');
  });

  it('stops waiting at the bound and says where to follow the run', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    const out = recorder();

    const run = await privacyStack('erase', ['C1'], options(), out.console);

    expect(run).toMatchObject({ status: 1, executionStatus: 'waiting' });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(10);
    expect(out.errors.join('\n')).toContain(
      'still running; follow it at https://eu-west-1.console.aws.amazon.com/',
    );
  });

  it('names the missing output of a stack deployed before this version', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'cdp-audiences',
          CreationTime: new Date(0),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [],
        },
      ],
    });

    await expect(privacyStack('erase', ['C1'], options(), recorder().console)).rejects.toThrow(
      'has no LandingBucketName or PrivacyStateMachineArn output',
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

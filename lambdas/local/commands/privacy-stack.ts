import { randomUUID } from 'node:crypto';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UserFacingError } from '../../core/errors';
import { type DetailOf, EVENTS } from '../../core/events/catalog';
import { ingestExecutionName } from '../../core/ingest/execution-names';
import type { PrivacyAction } from '../../core/privacy/subject';
import { STACK_OUTPUTS } from '../../core/training/stack-outputs';
import { formatTable, n } from '../table';
import type { Console } from './ingest';
import { stackOutputs } from './train';

/** The name of the privacy workflow's lake step (lib/constructs/privacy-requests.ts): its output holds the outcome. */
const LAKE_STEP = 'Run the request over the lake';

export interface PrivacyStackOptions {
  readonly stack: string;
  readonly cloudFormation: CloudFormationClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  /** How long to wait for the workflow (default 20 minutes: the lake step's 15, plus its start). */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
}

export interface PrivacyStackRun {
  readonly status: 0 | 1;
  /** The request file uploaded to the landing bucket. */
  readonly key: string;
  readonly executionArn: string;
  /** SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or `waiting` when the wait ran out. */
  readonly executionStatus: string;
  readonly detail?: DetailOf<typeof EVENTS.privacyRequestCompleted>;
}

/** One CSV field, quoted when it must be (an email or ID may hold a comma or a quote). */
const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * `cdp privacy access|erase <id…> --stack <name>`: the request as a one-row-per-subject CSV under
 * `privacy/requests/` of the deployed stack's landing bucket (the file route of the workflow), then
 * waits for its execution, named from the file's key and ETag as the start Lambda names it, and
 * prints what each store did and, for access, the pre-signed URLs.
 */
export async function privacyStack(
  action: PrivacyAction,
  ids: readonly string[],
  options: PrivacyStackOptions,
  out: Console,
): Promise<PrivacyStackRun> {
  const outputs = await stackOutputs(options.cloudFormation, options.stack);
  const bucket = outputs.get(STACK_OUTPUTS.landingBucket);
  const stateMachineArn = outputs.get(STACK_OUTPUTS.privacyStateMachine);
  if (!bucket || !stateMachineArn)
    throw new UserFacingError(
      `stack ${options.stack} has no ${STACK_OUTPUTS.landingBucket} or ${STACK_OUTPUTS.privacyStateMachine} output; deploy this version of cdp-audiences (npx cdk deploy) first`,
    );
  const now = options.now ?? (() => new Date());
  const stamp = now().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const key = `privacy/requests/cli-${stamp}-${randomUUID().slice(0, 8)}.csv`;
  const body = `subject,action\r\n${ids.map((id) => `${field(id)},${action}\r\n`).join('')}`;
  const { ETag: etag } = await options.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' }),
  );
  if (!etag) throw new Error(`S3 returned no ETag for s3://${bucket}/${key}`);
  // Not the subject: the file's name only (the file itself is in the landing bucket).
  out.log(`request uploaded to s3://${bucket}/${key}`);

  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${ingestExecutionName(key, etag)}`;
  const execution = await waitFor(executionArn, options, out);
  const detail =
    execution.status === 'waiting' ? undefined : await outcomeOf(executionArn, execution, options.sfn);
  if (detail) report(detail, out);
  if (execution.status === 'SUCCEEDED')
    return { status: 0, key, executionArn, executionStatus: 'SUCCEEDED', detail };
  if (execution.status === 'waiting')
    out.error(`the request is still running; follow it at ${consoleUrl(executionArn)}`);
  else
    out.error(
      `the request ${execution.status}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` (${execution.cause})` : ''}; see ${consoleUrl(executionArn)}`,
    );
  return { status: 1, key, executionArn, executionStatus: execution.status, ...(detail ? { detail } : {}) };
}

interface Execution {
  readonly status: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Polls the execution until it ends or the wait runs out; it does not exist until the start Lambda runs. */
async function waitFor(executionArn: string, options: PrivacyStackOptions, out: Console): Promise<Execution> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 5_000;
  const polls = Math.max(1, Math.ceil((options.waitMs ?? 20 * 60_000) / pollMs));
  let last = '';
  for (let poll = 0; poll < polls; poll++) {
    const execution = await options.sfn
      .send(new DescribeExecutionCommand({ executionArn }))
      .catch((error: unknown) => {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      });
    const status = execution?.status ?? 'NOT STARTED';
    if (status !== last) {
      out.log(
        `  ${status === 'NOT STARTED' ? 'waiting for the workflow to start' : status.toLowerCase()} (${Math.round((poll * pollMs) / 1000)} s)`,
      );
      last = status;
    }
    if (execution && status !== 'RUNNING' && status !== 'PENDING_REDRIVE')
      return { status, output: execution.output, error: execution.error, cause: execution.cause };
    await sleep(pollMs);
  }
  return { status: 'waiting' };
}

/**
 * The detail the workflow published: from the output of a succeeded execution, or, for a failed
 * one (a Fail state has no output), from the lake step's exit in the history.
 */
async function outcomeOf(
  executionArn: string,
  execution: Execution,
  sfn: SFNClient,
): Promise<DetailOf<typeof EVENTS.privacyRequestCompleted> | undefined> {
  let state = execution.output;
  if (state === undefined && execution.status !== 'SUCCEEDED') {
    // Newest first: the lake step's exit is near the end. One page is enough (the workflow is short).
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 }),
    );
    state = history.events?.find((e) => e.stateExitedEventDetails?.name === LAKE_STEP)
      ?.stateExitedEventDetails?.output;
  }
  if (!state) return undefined;
  const lake = (JSON.parse(state) as { lake?: { detail?: unknown } }).lake;
  const parsed = EVENTS.privacyRequestCompleted.schema.safeParse(lake?.detail);
  return parsed.success ? parsed.data : undefined;
}

function report(detail: DetailOf<typeof EVENTS.privacyRequestCompleted>, out: Console): void {
  const rows: string[][] = [];
  for (const row of detail.invalidRows) rows.push([`request line ${row.line}`, 'refused', row.reason]);
  for (const access of detail.accesses)
    rows.push([`access, line ${access.line}`, access.error ? 'failed' : 'done', access.error ?? 'exported']);
  if (detail.erasure)
    rows.push([
      'lake (landing, trusted, quarantine)',
      detail.erasure.error ? 'failed' : 'done',
      detail.erasure.error ??
        `${n(detail.erasure.rowsRemoved)} rows removed, ${n(detail.erasure.objectsRewritten)} files rewritten, ${n(detail.erasure.objectsDeleted)} deleted; suppressed from ingestion, activation and the Segment sync`,
    ]);
  for (const store of detail.stores) rows.push([store.store, store.status, store.note]);
  for (const line of formatTable(['store', 'status', 'what'], rows, new Set())) out.log(line);
  for (const access of detail.accesses) {
    if (access.markdownUrl) out.log(`export (Markdown): ${access.markdownUrl}`);
    if (access.jsonUrl) out.log(`export (JSON): ${access.jsonUrl}`);
  }
  if (detail.urlsExpireAt) out.log(`the links stop working at ${detail.urlsExpireAt}`);
}

function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3]!;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

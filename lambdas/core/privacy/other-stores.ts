import { createHash } from 'node:crypto';
import { type ObjectStore, readObjectText } from '../ports/object-store';
import { type RequestRecord, recordKeyOf, type StoreOutcome, writeRecord } from './request-record';
import type { RequestFileOutcome } from './request-file';
import { readUserIds, SEGMENT_STORE } from './segment-regulation';

/**
 * The stores outside the lake that an erasure reaches in the cloud workflow (Personalize, the
 * activation destination, Segment): what the workflow is told to do, and how their outcomes close
 * the request's record. Nothing here holds personal data: the user IDs stay in the deletion file.
 */

/** Where the training workflow keeps its validated copies in the trusted bucket: `personalize/<group>/<run>/`. */
const TRAINED_GROUPS_PREFIX = 'personalize/';
/** Personalize resource names (dataset group, data deletion job): `^[a-zA-Z0-9][a-zA-Z0-9\-_]*`, 1-63 characters. */
const PERSONALIZE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;

/**
 * The dataset groups this stack trains: the group folders the training pre-flight wrote its
 * validated copies under. A folder whose name is not a Personalize name is not a group.
 */
export async function trainedDatasetGroups(trusted: ObjectStore): Promise<string[]> {
  const groups = new Set<string>();
  for await (const object of trusted.list(TRAINED_GROUPS_PREFIX)) {
    const group = object.key.slice(TRAINED_GROUPS_PREFIX.length).split('/')[0] ?? '';
    if (object.key.includes('/', TRAINED_GROUPS_PREFIX.length) && PERSONALIZE_NAME.test(group))
      groups.add(group);
  }
  return [...groups].sort();
}

/**
 * A data deletion job's name, the same on every retry of the same request and group (so a
 * re-run finds the job it created): `del-` + as much of the request ID as fits + a hash of both.
 * Job names take `^[a-zA-Z0-9][a-zA-Z0-9\-_]*`, at most 63 characters
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_DataDeletionJob.html).
 */
export function deletionJobName(requestId: string, group: string): string {
  const hash = createHash('sha256').update(`${requestId}\n${group}`).digest('hex').slice(0, 10);
  const readable = requestId.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 63 - 'del--'.length - hash.length);
  return `del-${readable}-${hash}`;
}

/** One data deletion job for the workflow to create and poll. */
export interface DeletionJobPlan {
  readonly datasetGroup: string;
  readonly datasetGroupArn: string;
  readonly jobName: string;
  readonly jobArn: string;
}

/** What the workflow's store branches do for one request file (a `skip` carries its reason). */
export interface OtherStoresPlan {
  readonly personalize:
    | { readonly skip: true; readonly reason: string }
    | { readonly skip: false; readonly dataLocation: string; readonly jobs: readonly DeletionJobPlan[] };
  readonly destination:
    { readonly skip: true; readonly reason: string } | { readonly skip: false; readonly usersKey: string };
}

/** Why nothing is sent to the stores outside the lake, or undefined when the erasure reaches them. */
function skipReason(erasure: RequestFileOutcome['erasure']): string | undefined {
  if (!erasure) return 'no erase row in the request (access requests read the lake only)';
  if (erasure.error) return 'the lake erasure failed, so its user IDs are not known';
  if (!erasure.personalizeUsersKey) return 'no customer ID was found for the subjects: nothing to delete';
  return undefined;
}

/**
 * Plans the stores outside the lake from the lake step's outcome: one data deletion job per
 * trained dataset group with the USER_ID file, and the destination's deletion from the same file.
 */
export function planOtherStores(
  outcome: RequestFileOutcome,
  options: {
    /** The trusted bucket holding the USER_ID file (for the job's `s3://` data location). */
    readonly trustedBucket: string;
    readonly datasetGroups: readonly string[];
    /** `arn:<partition>:personalize:<region>:<account>:` */
    readonly personalizeArnPrefix: string;
  },
): OtherStoresPlan {
  const erasure = outcome.erasure;
  const reason = skipReason(erasure);
  if (reason || !erasure?.personalizeUsersKey)
    return {
      personalize: { skip: true, reason: reason ?? 'nothing to delete' },
      destination: { skip: true, reason: reason ?? 'nothing to delete' },
    };
  const usersKey = erasure.personalizeUsersKey;
  return {
    personalize:
      options.datasetGroups.length === 0
        ? { skip: true, reason: 'the stack has trained no dataset group yet' }
        : {
            skip: false,
            dataLocation: `s3://${options.trustedBucket}/${usersKey}`,
            jobs: options.datasetGroups.map((group) => {
              const jobName = deletionJobName(erasure.requestId, group);
              return {
                datasetGroup: group,
                datasetGroupArn: `${options.personalizeArnPrefix}dataset-group/${group}`,
                jobName,
                jobArn: `${options.personalizeArnPrefix}data-deletion-job/${jobName}`,
              };
            }),
          },
    destination: { skip: false, usersKey },
  };
}

/** Deletes one user from an activation destination; answers how many records went (0: not there). */
export interface DestinationEraser {
  /** The store's name in the record: `Amazon Connect Customer Profiles (domain …)`, … */
  readonly store: string;
  readonly action: string;
  eraseUser(userId: string): Promise<number>;
}

/** An error's name for a report: its class, never its message (a message may quote an ID). */
const errorName = (error: unknown): string => (error as { name?: string }).name ?? 'Error';

/**
 * Deletes every user of the deletion file from the destination, one at a time; a user that fails
 * does not stop the others. The outcome counts users and records, and names the errors met.
 */
export async function eraseFromDestination(
  trusted: ObjectStore,
  usersKey: string,
  eraser: DestinationEraser,
): Promise<StoreOutcome> {
  const ids = await readUserIds(trusted, usersKey);
  let deleted = 0;
  let notFound = 0;
  const failures = new Map<string, number>();
  for (const id of ids) {
    try {
      const count = await eraser.eraseUser(id);
      deleted += count;
      if (count === 0) notFound += 1;
    } catch (error) {
      failures.set(errorName(error), (failures.get(errorName(error)) ?? 0) + 1);
    }
  }
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const parts = [`${ids.length} user ID(s) looked up`, `${notFound} not found`];
  if (failed > 0)
    parts.push(
      `${failed} failed (${[...failures].map(([name, n]) => `${name} x${n}`).join(', ')}); send the request again to retry`,
    );
  return {
    store: eraser.store,
    action: eraser.action,
    rows: deleted,
    status: failed > 0 ? 'failed' : 'done',
    detail: parts.join(', '),
  };
}

/** A branch's result: one outcome, or one per resource (a Map of data deletion jobs). */
export type BranchResult = StoreOutcome | readonly StoreOutcome[];

/** The outcome of each store, flattened from the branches of the workflow's Parallel state. */
export function flattenOutcomes(branches: readonly BranchResult[]): StoreOutcome[] {
  return branches.flatMap((b) => (Array.isArray(b) ? [...b] : [b as StoreOutcome]));
}

/** The request's status from its stores: a failure fails it, a store still pending leaves it open. */
export function overallStatus(stores: readonly StoreOutcome[]): RequestRecord['status'] {
  if (stores.some((s) => s.status === 'failed')) return 'failed';
  if (stores.some((s) => s.status === 'pending')) return 'open';
  return 'completed';
}

/**
 * Closes an erasure's record: appends the outcome of every store outside the lake, sets the
 * status from all of them and `finishedAt` (unless a store is still pending).
 */
export async function closeRecord(
  trusted: ObjectStore,
  requestId: string,
  outcomes: readonly StoreOutcome[],
  now: Date,
): Promise<RequestRecord> {
  const key = recordKeyOf(requestId);
  const record = JSON.parse(await readObjectText(trusted, key)) as RequestRecord;
  record.stores.push(...outcomes);
  record.status = overallStatus(record.stores);
  if (record.status !== 'open') record.finishedAt = now.toISOString();
  await writeRecord(trusted, record);
  return record;
}

/** A store's line in the event (and so in the email). */
export interface StoreLine {
  readonly store: string;
  readonly status: StoreOutcome['status'] | 'by hand';
  readonly note: string;
  readonly action?: string;
  readonly rows?: number;
  readonly objects?: number;
}

const SEGMENT_BY_HAND: StoreLine = {
  store: SEGMENT_STORE,
  status: 'manual',
  note: 'create a SUPPRESS_WITH_DELETE regulation for the same user IDs in the Segment workspace',
};

/**
 * The stores' lines of `Privacy Request Completed`/`Failed`: every outcome, and Segment's manual
 * step while no branch reports Segment (only when the erasure reached the other stores).
 */
export function storeLines(outcomes: readonly StoreOutcome[], erased: boolean): StoreLine[] {
  const lines: StoreLine[] = outcomes.map((o) => ({
    store: o.store,
    status: o.status,
    note: o.detail ?? '',
    action: o.action,
    ...(o.rows === undefined ? {} : { rows: o.rows }),
    ...(o.objects === undefined ? {} : { objects: o.objects }),
  }));
  if (erased && !outcomes.some((o) => o.store.startsWith(SEGMENT_STORE))) lines.push(SEGMENT_BY_HAND);
  return lines;
}

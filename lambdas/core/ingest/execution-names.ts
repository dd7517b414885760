import { createHash } from 'node:crypto';

/**
 * Step Functions execution names: at most 80 characters, and only letters, digits, `-` and `_`
 * if the execution is to be logged to CloudWatch. A name is unique per state machine for 90 days;
 * StartExecution with a name already used does not run again, which is what makes a re-delivered
 * S3 event a no-op.
 */
export const MAX_EXECUTION_NAME = 80;

const HASH_CHARS = 32;

/**
 * The ingest execution of one landing object version: a readable stem of the key, then a hash of
 * key and ETag. The same key and content give the same name; new content (another ETag) a new one.
 */
export function ingestExecutionName(key: string, etag: string): string {
  const hash = createHash('sha256').update(`${key}\u0000${etag}`).digest('hex').slice(0, HASH_CHARS);
  const stem = key
    .replace(/\.csv$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_EXECUTION_NAME - HASH_CHARS - 1);
  return stem ? `${stem}-${hash}` : hash;
}

/** The debounce window of the identity run: every Dataset Ingested in one window starts one run. */
export interface IdentityWindow {
  /** The execution name, the same for every event of the window. */
  readonly name: string;
  /** When the run starts: the end of the window (ISO 8601), so later files of the batch are in. */
  readonly runAfter: string;
}

/** Past the window's end before the run starts: room for clock skew between EventBridge and Step Functions. */
export const IDENTITY_SETTLE_MS = 30_000;

/**
 * The window an event at `time` falls in, `windowMinutes` long, aligned on the epoch.
 *
 * Why an event may find its window's execution already finished and start nothing: the event is
 * published after its file is in the trusted zone, and the run lists the zone only after the window
 * (which holds the event's time) has closed, so that run has read the file.
 */
export function identityWindowOf(time: Date, windowMinutes: number): IdentityWindow {
  return debounceWindowOf('identity', time, windowMinutes);
}

/** The same window for any debounced workflow: the execution name is `<workflow>-<window start>`. */
export function debounceWindowOf(workflow: string, time: Date, windowMinutes: number): IdentityWindow {
  const width = windowMinutes * 60_000;
  const start = Math.floor(time.getTime() / width) * width;
  const stamp = new Date(start).toISOString().slice(0, 16).replace(/[:]/g, '-');
  // Step Functions' Wait takes RFC 3339 with a `Z`; whole seconds, as in its documentation.
  const runAfter = new Date(start + width + IDENTITY_SETTLE_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { name: `${workflow}-${stamp}`, runAfter };
}

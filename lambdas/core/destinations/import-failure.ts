import { causeMessage, clipBytes } from '../errors';
import type { ImportResult } from './activation-outcome';

/**
 * What the import map's child execution asks when an import failed: the audience and either the
 * caught error (Step Functions' Error and Cause, a cause of up to 32,768 characters,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html)
 * or Pinpoint's GetImportJob response of a FAILED job.
 */
export interface ImportFailureRequest {
  readonly importFailure: {
    readonly name: string;
    readonly error: { readonly Error?: string; readonly Cause?: string };
    readonly response?: unknown;
  };
}

/**
 * How a failed import is recorded in the map's results: its message (not the JSON around it) cut
 * to MAX_CAUSE_BYTES, so that no cause longer than that stays in the state. The full text is in
 * the execution history.
 */
export function recordImportFailure({ importFailure }: ImportFailureRequest): ImportResult {
  const { name, error, response } = importFailure;
  const text = response === undefined ? error.Cause : JSON.stringify(response);
  const message = causeMessage(text) ?? text;
  return {
    name,
    outcome: 'FAILED',
    error: clipBytes(error.Error ?? 'UnknownError', 256),
    ...(message ? { cause: clipBytes(message) } : {}),
  };
}

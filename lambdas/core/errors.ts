/**
 * An error whose message a marketer can act on, e.g.
 * "interactions.csv line 812: TIMESTAMP 'yesterday' is not epoch seconds".
 *
 * The message goes into emails and CLI output; the `cause` (and any stack trace) goes to logs only.
 */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';

  constructor(
    message: string,
    options?: {
      /** Where it happened, for reports: a file, key or line. */
      readonly location?: string;
      /** The underlying error, kept for logs. */
      readonly cause?: unknown;
    },
  ) {
    super(options?.location ? `${options.location}: ${message}` : message, { cause: options?.cause });
  }
}

/**
 * A failed step, as Step Functions reports it (error name + cause), in words for an email.
 * A UserFacingError's message is kept; anything else stays generic, so no stack trace leaks.
 */
export function describeStepFailure(error: string | undefined, cause: string | undefined): string {
  const message = causeMessage(cause);
  if (error === 'UserFacingError' && message) return message;
  if (error === 'States.Timeout') return 'A step of the workflow ran out of time.';
  if (error === 'States.DataLimitExceeded') {
    return "A step passed more data than Step Functions' 256 KB state limit allows. Split its queries over several batch segment jobs.";
  }
  return `The workflow stopped on ${error ?? 'an unknown error'}. The details are in the execution history and the Lambda logs.`;
}

/** The message inside a Step Functions cause: a Lambda error's JSON, a service error's JSON, or plain text. */
export function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as {
      errorMessage?: unknown;
      Message?: unknown;
      message?: unknown;
      Failures?: unknown;
    };
    // A FAILED Pinpoint import job carries its reasons in `Failures` (first rows only).
    if (Array.isArray(parsed.Failures) && parsed.Failures.length > 0)
      return parsed.Failures.slice(0, 5).join('; ');
    const message = parsed.errorMessage ?? parsed.Message ?? parsed.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return cause.split('\n')[0];
  }
}

/**
 * Longest error cause, in UTF-8 bytes, a step lets into the Step Functions state; the full text
 * stays in the logs. Keeps a run far below the 256 KB state limit however long a service's message.
 */
export const MAX_CAUSE_BYTES = 1024;

/** `text` cut to at most `maxBytes` UTF-8 bytes, ending in `…` when cut. */
export function clipBytes(text: string, maxBytes: number = MAX_CAUSE_BYTES): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  // '…' is 3 bytes; step back whole UTF-16 units until the cut text and the mark fit.
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) + 3 > maxBytes) end -= 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end -= 1;
  return `${text.slice(0, end)}…`;
}

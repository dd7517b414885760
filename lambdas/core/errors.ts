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

/** The message to show a person: a UserFacingError's own words, anything else a generic sentence. */
export function userMessageOf(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  return 'An internal error stopped the job. The details are in the CloudWatch logs of the failing step.';
}

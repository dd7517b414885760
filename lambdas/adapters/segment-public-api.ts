import { z } from 'zod';
import { UserFacingError } from '../core/errors';
import type { RegulationOutcome, SegmentRegulations } from '../core/ports/segment-regulations';
import { SEGMENT_MAX_SUBJECT_IDS } from '../core/privacy/segment-regulation';
import { networkReason, type SegmentRegion } from './segment-http-sink';
import { withRetries } from './segment-retry-loop';
import { DEFAULT_RETRY_POLICY, verdictFor, type RetryPolicy, type Verdict } from './segment-retry-policy';

/**
 * Public API hosts per workspace region: "for US-based Workspaces, use api.segmentapis.com. For
 * EU-based Workspaces, eu1.api.segmentapis.com" (https://docs.segmentapis.com/tag/Getting-Started).
 */
export const SEGMENT_PUBLIC_API_ENDPOINTS: Readonly<Record<SegmentRegion, string>> = {
  us: 'https://api.segmentapis.com',
  eu: 'https://eu1.api.segmentapis.com',
};

export interface SegmentPublicApiOptions {
  /** A Public API token of the workspace (not a Config API token, not a write key): sent as Bearer. */
  readonly token: string;
  readonly region?: SegmentRegion;
  /** Base URL; overrides `region` (a fake server in tests). */
  readonly endpoint?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** How long to wait for an answer before counting the attempt as failed. Default 30 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** Asked before each retry wait: true keeps the batch for replay instead of waiting (the Lambda's time). */
  readonly mustGiveUp?: (delayMs: number) => boolean;
  readonly onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
}

/** Segment refused the Public API token: every call would fail the same way. */
export class SegmentTokenError extends UserFacingError {
  constructor(status: number) {
    super(
      `Segment refused the Public API token (HTTP ${status}): check that the secret holds a Public API token (not a Config API token or a write key) of this workspace, with access to deletion and suppression, and the workspace region.`,
    );
  }
}

/** `{"data":{"regulateId":"…"}}`: the answer to Create Workspace Regulation. */
const created = z.object({ data: z.object({ regulateId: z.string().min(1) }) });

/** A 429's body: `errors[0].data.msBeforeNext` says how long the limit lasts (https://docs.segmentapis.com/tag/Rate-Limits). */
const rateLimited = z.object({
  errors: z.array(z.object({ data: z.object({ msBeforeNext: z.number().nonnegative() }).optional() })),
});

/**
 * Creates workspace-scoped regulations through Segment's Public API:
 * `POST /regulations` with `{regulationType, subjectType: "USER_ID", subjectIds}` and
 * `Authorization: Bearer <token>`; 200 answers `{data: {regulateId}}`, 404/422 refuse the request,
 * 429 is rate limiting (https://docs.segmentapis.com/tag/Deletion-and-Suppression). Retries and
 * their waits are the `/v1/batch` sink's (`withRetries`, `verdictFor`).
 */
export class SegmentPublicApiRegulations implements SegmentRegulations {
  // ES private field: the token never shows up when the client is logged or serialized.
  readonly #authorization: string;
  private readonly url: string;
  private readonly options: Omit<SegmentPublicApiOptions, 'token'>;
  private readonly policy: RetryPolicy;
  private requestCount = 0;

  constructor(options: SegmentPublicApiOptions) {
    const { token, ...rest } = options;
    this.options = rest;
    this.#authorization = `Bearer ${token}`;
    const base = options.endpoint ?? SEGMENT_PUBLIC_API_ENDPOINTS[options.region ?? 'us'];
    this.url = new URL('regulations', base.endsWith('/') ? base : `${base}/`).toString();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /** HTTP requests made so far, retries included. */
  get requests(): number {
    return this.requestCount;
  }

  async suppressWithDelete(userIds: readonly string[]): Promise<RegulationOutcome> {
    if (userIds.length === 0 || userIds.length > SEGMENT_MAX_SUBJECT_IDS)
      throw new RangeError(
        `a regulation takes 1 to ${SEGMENT_MAX_SUBJECT_IDS} user IDs, not ${userIds.length}`,
      );
    const body = JSON.stringify({
      regulationType: 'SUPPRESS_WITH_DELETE',
      subjectType: 'USER_ID',
      subjectIds: userIds,
    });
    let regulateId = '';
    let message: string | undefined;
    const outcome = await withRetries(
      async () => {
        const answer = await this.attempt(body);
        if (answer.regulateId) regulateId = answer.regulateId;
        message = answer.message;
        return answer.verdict;
      },
      {
        policy: this.policy,
        sleep: this.options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
        random: this.options.random ?? Math.random,
        mustGiveUp: this.options.mustGiveUp,
        onRetry: this.options.onRetry,
        unauthorized: (status) => new SegmentTokenError(status),
      },
    );
    if (outcome.delivered) return { created: true, regulateId, attempts: outcome.attempts };
    return {
      created: false,
      reason: outcome.reason,
      attempts: outcome.attempts,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      ...(message ? { segmentMessage: message } : {}),
    };
  }

  /** One POST. Never throws for a network failure or an answer: it returns the verdict. */
  private async attempt(body: string): Promise<{ verdict: Verdict; regulateId?: string; message?: string }> {
    const now = this.options.now ?? (() => new Date());
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    this.requestCount += 1;
    let response: Response;
    let text: string;
    try {
      response = await (this.options.fetch ?? fetch)(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/vnd.segment.v1+json, application/json',
          authorization: this.#authorization,
          'user-agent': 'cdp-audiences',
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { verdict: { kind: 'retry', reason: networkReason(error, timeoutMs) } };
    }
    if (response.ok) {
      const parsed = created.safeParse(safeJson(text));
      if (!parsed.success)
        return {
          verdict: {
            kind: 'give-up',
            status: response.status,
            reason: `Segment answered HTTP ${response.status} without a regulateId; check the Deletion Requests tab before sending again`,
          },
        };
      return {
        verdict: { kind: 'delivered', status: response.status },
        regulateId: parsed.data.data.regulateId,
      };
    }
    // Segment's error messages may echo a user ID back: they go to the kept batch only, never
    // into the reason (which reaches the record and the email).
    const verdict = verdictFor(response.status, retryAfterOf(response, text), now().getTime());
    const message = errorMessageOf(text);
    return { verdict, ...(message ? { message } : {}) };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `errors[].message` of an error answer (Segment's words, without the request echoed back). */
function errorMessageOf(text: string): string {
  const parsed = z.object({ errors: z.array(z.object({ message: z.string() })) }).safeParse(safeJson(text));
  return parsed.success ? parsed.data.errors.map((e) => e.message.slice(0, 200)).join('; ') : '';
}

/**
 * How long a 429 asks to wait, as a Retry-After value: the header when present, else the body's
 * `msBeforeNext`, else `X-RateLimit-Reset` (an RFC 5322 date), per Segment's Rate Limits page.
 */
function retryAfterOf(response: Response, text: string): string | null {
  const header = response.headers.get('retry-after');
  if (header) return header;
  if (response.status !== 429) return null;
  const parsed = rateLimited.safeParse(safeJson(text));
  const ms = parsed.success ? parsed.data.errors.find((e) => e.data)?.data?.msBeforeNext : undefined;
  if (ms !== undefined) return String(ms / 1000);
  return response.headers.get('x-ratelimit-reset');
}

import { z } from 'zod';

/**
 * `GET /recommendations?userId=…&n=…` on the recommendations function URL: what it takes, and the
 * answer it gives. GetRecommendations returns at most 500 items
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetRecommendations.html); a user ID is
 * 1–256 characters, as everywhere in Personalize.
 */
export const MAX_RECOMMENDATIONS = 500;
export const DEFAULT_RECOMMENDATIONS = 25;

const query = z.strictObject(
  {
    userId: z
      .string({ error: 'userId is required, e.g. ?userId=C000123' })
      .min(1, 'userId is empty; give the user ID, e.g. ?userId=C000123')
      .max(256, 'userId is longer than the 256 characters Personalize takes'),
    n: z
      .string()
      .regex(/^\d+$/, `n must be a whole number from 1 to ${MAX_RECOMMENDATIONS}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, `n must be at least 1`)
          .max(MAX_RECOMMENDATIONS, `n must be at most ${MAX_RECOMMENDATIONS} (Personalize's limit)`),
      )
      .default(DEFAULT_RECOMMENDATIONS),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown query parameter(s) ${(issue.keys ?? []).join(', ')}; the URL takes userId and n`
        : undefined,
  },
);

export interface RecommendationsRequest {
  readonly userId: string;
  readonly numResults: number;
}

export type ParsedRequest =
  | { readonly ok: true; readonly request: RecommendationsRequest }
  | { readonly ok: false; readonly status: 400 | 404 | 405; readonly errors: readonly string[] };

/** Checks method, path and query; every problem is a sentence the caller can act on. */
export function parseRecommendationsRequest(
  method: string,
  path: string,
  parameters: Readonly<Record<string, string | undefined>>,
): ParsedRequest {
  if (path.replace(/\/+$/, '') !== '/recommendations') {
    return {
      ok: false,
      status: 404,
      errors: [`no such path ${path}; use GET /recommendations?userId=…&n=…`],
    };
  }
  if (method !== 'GET') {
    return { ok: false, status: 405, errors: [`${method} is not supported; use GET`] };
  }
  const parsed = query.safeParse(parameters);
  if (!parsed.success) {
    return { ok: false, status: 400, errors: parsed.error.issues.map((issue) => issue.message) };
  }
  return { ok: true, request: { userId: parsed.data.userId, numResults: parsed.data.n } };
}

/** One recommended item, as the URL answers it. */
export interface RecommendedItem {
  readonly itemId: string;
  readonly score?: number;
}

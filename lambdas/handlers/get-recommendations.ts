import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { parseRecommendationsRequest, type RecommendedItem } from '../core/realtime/recommendations-request';

const personalize = new PersonalizeRuntimeClient({});
const campaignArn = process.env.CAMPAIGN_ARN ?? '';
const filterArn = process.env.FILTER_ARN || undefined;

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * `GET /recommendations?userId=…&n=…` behind an IAM-authenticated function URL: the campaign's
 * GetRecommendations for the user, through the configured filter, as item IDs with scores.
 */
export async function handler(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> {
  const parsed = parseRecommendationsRequest(
    event.requestContext.http.method,
    event.rawPath,
    event.queryStringParameters ?? {},
  );
  if (!parsed.ok) {
    logger.info('recommendations request refused', { status: parsed.status, problems: parsed.errors.length });
    return json(parsed.status, { errors: parsed.errors });
  }
  const { userId, numResults } = parsed.request;
  const answer = await personalize.send(
    new GetRecommendationsCommand({ campaignArn, userId, numResults, ...(filterArn ? { filterArn } : {}) }),
  );
  const items: RecommendedItem[] = (answer.itemList ?? []).flatMap((item) =>
    item.itemId ? [{ itemId: item.itemId, ...(item.score === undefined ? {} : { score: item.score }) }] : [],
  );
  // Counts only: user and item IDs stay out of the logs.
  logger.info('recommendations served', { asked: numResults, returned: items.length });
  return json(200, { userId, recommendationId: answer.recommendationId, items });
}

import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lambdas/adapters/logger';

const personalize = mockClient(PersonalizeRuntimeClient);
const CAMPAIGN = 'arn:aws:personalize:eu-west-1:111122223333:campaign/cdp-sample-recs';
const FILTER = 'arn:aws:personalize:eu-west-1:111122223333:filter/exclude-purchased';
let handler: typeof import('../../lambdas/handlers/get-recommendations').handler;

beforeAll(async () => {
  vi.stubEnv('CAMPAIGN_ARN', CAMPAIGN);
  vi.stubEnv('FILTER_ARN', FILTER);
  ({ handler } = await import('../../lambdas/handlers/get-recommendations'));
});

beforeEach(() => {
  personalize.reset();
  personalize.on(GetRecommendationsCommand).resolves({
    recommendationId: 'RID-1',
    itemList: [
      { itemId: 'I000042', score: 0.31 },
      { itemId: 'I000007', score: 0.12 },
    ],
  });
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
});

const request = (query: Record<string, string> | undefined, method = 'GET', rawPath = '/recommendations') =>
  ({
    rawPath,
    queryStringParameters: query,
    requestContext: { http: { method } },
  }) as unknown as LambdaFunctionURLEvent;
const body = (result: unknown) => JSON.parse((result as { body: string }).body);

describe('GET /recommendations', () => {
  it('answers the campaign’s items with their scores, through the configured filter', async () => {
    const result = await handler(request({ userId: 'C000123', n: '2' }));

    expect(result).toMatchObject({ statusCode: 200 });
    expect(body(result)).toEqual({
      userId: 'C000123',
      recommendationId: 'RID-1',
      items: [
        { itemId: 'I000042', score: 0.31 },
        { itemId: 'I000007', score: 0.12 },
      ],
    });
    expect(personalize.commandCalls(GetRecommendationsCommand)[0]!.args[0].input).toEqual({
      campaignArn: CAMPAIGN,
      userId: 'C000123',
      numResults: 2,
      filterArn: FILTER,
    });
  });

  it('asks for 25 items when n is left out', async () => {
    await handler(request({ userId: 'C000123' }));

    expect(personalize.commandCalls(GetRecommendationsCommand)[0]!.args[0].input.numResults).toBe(25);
  });

  it.each([
    [{ n: '5' }, 'userId is required, e.g. ?userId=C000123'],
    [{ userId: 'C1', n: 'ten' }, 'n must be a whole number from 1 to 500'],
    [{ userId: 'C1', n: '501' }, "n must be at most 500 (Personalize's limit)"],
    [{ userId: 'C1', n: '0' }, 'n must be at least 1'],
    [{ userId: 'x'.repeat(257) }, 'userId is longer than the 256 characters Personalize takes'],
    [{ userId: 'C1', limit: '3' }, 'unknown query parameter(s) limit; the URL takes userId and n'],
  ])('refuses %j with a 400 that says why, and calls no Personalize', async (query, message) => {
    const result = await handler(request(query));

    expect(result).toMatchObject({ statusCode: 400 });
    expect(body(result).errors).toEqual([message]);
    expect(personalize.commandCalls(GetRecommendationsCommand)).toHaveLength(0);
  });

  it('refuses another path with 404 and another method with 405', async () => {
    expect(await handler(request({ userId: 'C1' }, 'GET', '/items'))).toMatchObject({ statusCode: 404 });
    expect(await handler(request({ userId: 'C1' }, 'POST'))).toMatchObject({ statusCode: 405 });
    expect(personalize.commandCalls(GetRecommendationsCommand)).toHaveLength(0);
  });
});

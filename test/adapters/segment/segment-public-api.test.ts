import { describe, expect, it } from 'vitest';
import {
  SegmentPublicApiRegulations,
  type SegmentPublicApiOptions,
  SegmentTokenError,
} from '../../../lambdas/adapters/segment-public-api';
import { scriptedFetch, type ScriptedAnswer } from './scripted-fetch';

const TOKEN = 'sgp_test_token_0123456789';
const CREATED = { status: 200, body: '{"data":{"regulateId":"1qJkfE1tpwvQcklImGksLN629wn"}}' };

/** A client on a scripted fetch whose waits are recorded instead of slept. */
function clientAnswering(script: readonly ScriptedAnswer[], options: Partial<SegmentPublicApiOptions> = {}) {
  const stub = scriptedFetch(script);
  const waits: number[] = [];
  const client = new SegmentPublicApiRegulations({
    token: TOKEN,
    fetch: stub.fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    now: () => new Date('2026-12-02T10:00:00Z'),
    ...options,
  });
  return { client, waits, requests: stub.requests };
}

describe('SegmentPublicApiRegulations', () => {
  it('creates a workspace SUPPRESS_WITH_DELETE regulation of the user IDs with the Bearer token', async () => {
    // Prepare
    const { client, requests } = clientAnswering([CREATED]);

    // Act
    const outcome = await client.suppressWithDelete(['C1', 'C2']);

    // Assess
    expect(outcome).toEqual({ created: true, regulateId: '1qJkfE1tpwvQcklImGksLN629wn', attempts: 1 });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('https://api.segmentapis.com/regulations');
    expect(requests[0]!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(requests[0]!.body)).toEqual({
      regulationType: 'SUPPRESS_WITH_DELETE',
      subjectType: 'USER_ID',
      subjectIds: ['C1', 'C2'],
    });
  });

  it('uses the EU host for an EU workspace', async () => {
    const { client, requests } = clientAnswering([CREATED], { region: 'eu' });
    await client.suppressWithDelete(['C1']);
    expect(requests[0]!.url).toBe('https://eu1.api.segmentapis.com/regulations');
  });

  it("retries a 429 after the body's msBeforeNext when there is no Retry-After header", async () => {
    // Prepare
    const limited = {
      status: 429,
      body: '{"errors":[{"type":"RequestError","message":"Too many requests","data":{"remainingPoints":0,"msBeforeNext":5700,"consumedPoints":21}}]}',
    };
    const { client, waits, requests } = clientAnswering([limited, CREATED]);

    // Act
    const outcome = await client.suppressWithDelete(['C1']);

    // Assess
    expect(outcome.created).toBe(true);
    expect(requests).toHaveLength(2);
    expect(waits).toEqual([5700]);
  });

  it('retries a 429 after Retry-After and a 503 after a backoff', async () => {
    const { client, waits } = clientAnswering([
      { status: 429, headers: { 'retry-after': '2' }, body: '{}' },
      { status: 503, body: '' },
      CREATED,
    ]);
    const outcome = await client.suppressWithDelete(['C1']);
    expect(outcome).toMatchObject({ created: true, attempts: 3 });
    expect(waits[0]).toBe(2000);
    expect(waits).toHaveLength(2);
  });

  it('gives a 429 up, for replay, when Segment asks to wait longer than allowed (a spent daily quota)', async () => {
    const { client, requests } = clientAnswering([
      { status: 429, headers: { 'retry-after': '86400' }, body: '{}' },
    ]);
    const outcome = await client.suppressWithDelete(['C1']);
    expect(requests).toHaveLength(1);
    expect(outcome).toMatchObject({ created: false, status: 429 });
    expect(outcome.created || outcome.reason).toMatch(/asked to wait 86400 s/);
  });

  it("does not retry a 422 and keeps Segment's message apart from the reason", async () => {
    // Prepare
    const { client, requests } = clientAnswering([
      {
        status: 422,
        body: '{"errors":[{"type":"ValidationError","message":"subjectIds[0] C1 is invalid"}]}',
      },
    ]);

    // Act
    const outcome = await client.suppressWithDelete(['C1']);

    // Assess
    expect(requests).toHaveLength(1);
    expect(outcome).toEqual({
      created: false,
      reason: 'Segment refused the batch with HTTP 422',
      status: 422,
      segmentMessage: 'subjectIds[0] C1 is invalid',
      attempts: 1,
    });
  });

  it('rejects with a token error on 401, without the token in the message', async () => {
    const { client, requests } = clientAnswering([{ status: 401, body: '{}' }]);
    const error = await client.suppressWithDelete(['C1']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentTokenError);
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(requests).toHaveLength(1);
  });

  it('gives up a 200 without a regulateId rather than report a regulation it cannot name', async () => {
    const { client } = clientAnswering([{ status: 200, body: '{"data":{}}' }]);
    const outcome = await client.suppressWithDelete(['C1']);
    expect(outcome).toMatchObject({ created: false, status: 200 });
  });

  it('refuses more user IDs than Segment takes in one call', async () => {
    const { client, requests } = clientAnswering([CREATED]);
    const ids = Array.from({ length: 5001 }, (_, i) => `C${i}`);
    await expect(client.suppressWithDelete(ids)).rejects.toThrow(RangeError);
    expect(requests).toHaveLength(0);
  });

  it('never shows the token when serialized', () => {
    const { client } = clientAnswering([CREATED]);
    expect(JSON.stringify(client)).not.toContain(TOKEN);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const TRUSTED = 'cdp-test-trusted';
const TOKEN = 'sgp_handler_test_token';
const USERS_KEY = 'privacy/deletions/r1-erase/personalize-users.csv';
const STATE = {
  key: 'privacy/requests/r1.csv',
  lake: { erasure: { requestId: 'r1-erase', lines: [2], personalizeUsersKey: USERS_KEY, customerIds: 2 } },
};
const context = { getRemainingTimeInMillis: () => 300_000 };

const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);

/** A fake Segment Public API: answers each POST from the script, records what it got. */
let answers: { status: number; body: string }[] = [];
const received: { url: string; authorization?: string; body: unknown }[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({
        url: request.url!,
        authorization: request.headers.authorization,
        body: JSON.parse(body),
      });
      const answer = answers.shift() ?? { status: 500, body: '{}' };
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vi.stubEnv('TRUSTED_BUCKET', TRUSTED);
  vi.stubEnv('SEGMENT_PUBLIC_API_ENDPOINT', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  vi.stubEnv('AWS_REGION', 'us-east-1');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  s3.restore();
  secrets.restore();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  s3.reset();
  secrets.reset();
  received.length = 0;
  answers = [];
  vi.stubEnv('SEGMENT_PUBLIC_API_TOKEN_SECRET', 'cdp/segment-public-api-token');
  s3.on(GetObjectCommand, { Bucket: TRUSTED, Key: USERS_KEY }).callsFake(async () => ({
    Body: Readable.from([Buffer.from('USER_ID\nC1\nC3\n')]),
  }));
  s3.on(PutObjectCommand).resolves({});
  secrets
    .on(GetSecretValueCommand, { SecretId: 'cdp/segment-public-api-token' })
    .resolves({ SecretString: TOKEN });
});

describe('privacy-segment handler', () => {
  it("creates the regulation of the deletion file's user IDs and returns a done StoreOutcome", async () => {
    // Prepare
    answers = [{ status: 200, body: '{"data":{"regulateId":"reg-abc"}}' }];
    const { handler } = await import('../../lambdas/handlers/privacy-segment');

    // Act
    const outcome = await handler(STATE, context);

    // Assess
    expect(received).toEqual([
      {
        url: '/regulations',
        authorization: `Bearer ${TOKEN}`,
        body: { regulationType: 'SUPPRESS_WITH_DELETE', subjectType: 'USER_ID', subjectIds: ['C1', 'C3'] },
      },
    ]);
    expect(outcome).toMatchObject({ store: 'Twilio Segment', status: 'done', rows: 2 });
    expect(outcome.detail).toContain('reg-abc');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('keeps a refused batch in the trusted bucket for replay and returns a failed StoreOutcome', async () => {
    // Prepare
    answers = [{ status: 422, body: '{"errors":[{"message":"Validation failure"}]}' }];
    const { handler } = await import('../../lambdas/handlers/privacy-segment');

    // Act
    const outcome = await handler(STATE, context);

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key])).toEqual([
      [TRUSTED, 'privacy/deletions/r1-erase/segment-failed-1.json'],
    ]);
    expect(JSON.parse(String(puts[0]!.Body)).body.subjectIds).toEqual(['C1', 'C3']);
    expect(outcome.status).toBe('failed');
    expect(outcome.detail).toContain('privacy/deletions/r1-erase/segment-failed-1.json');
    expect(outcome.detail).not.toContain('C1');
  });

  it('returns the manual outcome, without reading the file or calling Segment, when no token is configured', async () => {
    // Prepare
    vi.stubEnv('SEGMENT_PUBLIC_API_TOKEN_SECRET', '');
    delete process.env['SEGMENT_PUBLIC_API_TOKEN_SECRET'];
    const { handler } = await import('../../lambdas/handlers/privacy-segment');

    // Act
    const outcome = await handler(STATE, context);

    // Assess
    expect(outcome.status).toBe('manual');
    expect(outcome.detail).toContain(`s3://${TRUSTED}/${USERS_KEY}`);
    expect(received).toEqual([]);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('skips Segment when the request had no erasure, or found no customer ID', async () => {
    const { handler } = await import('../../lambdas/handlers/privacy-segment');
    const none = await handler({ lake: {} }, context);
    const noIds = await handler({ lake: { erasure: { requestId: 'r2-erase', customerIds: 0 } } }, context);
    expect([none.status, noIds.status]).toEqual(['skipped', 'skipped']);
    expect(received).toEqual([]);
  });
});

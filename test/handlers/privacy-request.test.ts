import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestFile } from '../../lambdas/core/ingest/ingest-file';
import { startS3rver, s3rverClient, type LocalS3 } from '../adapters/s3rver';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';

const LANDING = 'cdp-test-landing';
const TRUSTED = 'cdp-test-trusted';
const SALT = 'ab'.repeat(32);

let s3rver: LocalS3;
let client: S3Client;
const secrets = mockClient(SecretsManagerClient);

async function text(bucket: string, key: string): Promise<string> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Body!.transformToString();
}

beforeAll(async () => {
  s3rver = await startS3rver(LANDING, TRUSTED);
  client = s3rverClient(s3rver);
  // The trusted zone as ingestion leaves it: three CRM records, two people.
  const zones = {
    landing: new MemoryObjectStore(),
    trusted: new MemoryObjectStore(),
    quarantine: new MemoryObjectStore(),
  };
  zones.landing.objects.set(
    'crm/customers.csv',
    Buffer.from(
      'customer_id,email,first_name,last_name,phone,postcode,created_at\n' +
        'C1,masha@example.com,Masha,Kelley,,07030,2025-01-01T00:00:00Z\n' +
        'C3,sam@example.com,Sam,Lee,,10001,2025-01-01T00:00:00Z\n',
    ),
  );
  await ingestFile(zones, { key: 'crm/customers.csv', etag: 'e1', ingestDate: '2026-12-02' });
  for (const [key, body] of zones.trusted.objects)
    await client.send(new PutObjectCommand({ Bucket: TRUSTED, Key: key, Body: body }));
  await client.send(
    new PutObjectCommand({
      Bucket: LANDING,
      Key: 'privacy/requests/r1.csv',
      Body: 'subject,action\nmasha@example.com,access\nC3,erase\nC9,forget\n',
    }),
  );
  secrets.on(GetSecretValueCommand, { SecretId: 'cdp/privacy-salt' }).resolves({ SecretString: SALT });
  vi.stubEnv('AWS_ENDPOINT_URL_S3', s3rver.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_S3_FORCE_PATH_STYLE', 'true');
  vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', 'WHEN_REQUIRED');
  vi.stubEnv('AWS_RESPONSE_CHECKSUM_VALIDATION', 'WHEN_REQUIRED');
  vi.stubEnv('LANDING_BUCKET', LANDING);
  vi.stubEnv('TRUSTED_BUCKET', TRUSTED);
  vi.stubEnv('PRIVACY_SALT_SECRET', 'cdp/privacy-salt');
}, 30_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  secrets.restore();
  await s3rver?.stop();
});

describe('privacy-request handler, against an S3-compatible server', () => {
  it('exports the access row behind a short-lived URL, erases the erase row, reports the bad row', async () => {
    const { handler } = await import('../../lambdas/handlers/privacy-request');

    // Act
    const result = await handler({ key: 'privacy/requests/r1.csv', requestId: 'r1' });

    // Assert: the bad row by line, never by content.
    expect(result.invalidRows).toEqual([{ line: 4, reason: 'action is not access or erase' }]);
    expect(result.failed).toBe(false);
    // Access: a pre-signed URL valid one day, that serves the Markdown export of Masha's records.
    expect(result.accesses).toEqual([
      {
        line: 2,
        requestId: 'r1-l2',
        export: { json: expect.stringMatching(/^privacy\/exports\/r1-l2\//), markdown: expect.any(String) },
      },
    ]);
    const url = new URL(result.accessUrls[0]!.markdown);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    const served = await (await fetch(url)).text();
    expect(served).toContain('C1');
    expect(served).not.toContain('sam@example.com');
    // The event detail for the email: the URL and counts, no subject; the stores not automated are named.
    expect(result.detail.accesses).toEqual([
      { line: 2, markdownUrl: result.accessUrls[0]!.markdown, jsonUrl: result.accessUrls[0]!.json },
    ]);
    // The stores outside the lake are the workflow's branches: the lake step plans them, no IDs.
    expect(result.detail.stores).toEqual([]);
    expect(result.stores).toEqual({
      recordRequestId: 'r1-erase',
      usersKey: 'privacy/deletions/r1-erase/personalize-users.csv',
      erased: true,
      personalize: { skip: true, reason: 'the stack has trained no dataset group yet' },
      destination: { skip: false, usersKey: 'privacy/deletions/r1-erase/personalize-users.csv' },
    });
    expect(JSON.stringify(result.detail)).not.toMatch(/masha|sam@|"C3"|C1/);
    // Erasure: Sam is gone from the trusted zone, Masha stays; Personalize gets Sam's USER_ID.
    expect(result.erasure).toMatchObject({ requestId: 'r1-erase', lines: [3], customerIds: 1 });
    expect(result.erasure!.rowsRemoved).toBeGreaterThan(0);
    expect(await text(TRUSTED, result.erasure!.personalizeUsersKey!)).toBe('USER_ID\nC3\n');
    const keys = await listKeys(TRUSTED);
    const crmKey = keys.find((k) => k.startsWith('trusted/crm/') && k.endsWith('.parquet'));
    const { Body } = await client.send(new GetObjectCommand({ Bucket: TRUSTED, Key: crmKey }));
    const bytes = await Body!.transformToByteArray();
    const rows = await parquetReadObjects({
      file: new Uint8Array(bytes).buffer,
    });
    expect(rows.map((r) => r['customer_id'])).toEqual(['C1']);
    // The record holds hashes and counts, no subject.
    const record = await text(TRUSTED, result.erasure!.recordKey!);
    expect(record).not.toContain('C3');
    // Open until the finish step has every store's outcome.
    expect(JSON.parse(record)).toMatchObject({ status: 'open', action: 'erase' });
    expect(JSON.parse(record).finishedAt).toBeUndefined();
  });

  it('plans a data deletion job per dataset group the stack trained', async () => {
    const { handler } = await import('../../lambdas/handlers/privacy-request');
    // Two groups' validated copies, as the training pre-flight leaves them; a stray object is no group.
    for (const key of [
      'personalize/shop/run-1/users.csv',
      'personalize/news/run-2/items.csv',
      'personalize/readme.txt',
    ])
      await client.send(new PutObjectCommand({ Bucket: TRUSTED, Key: key, Body: 'x' }));
    await client.send(
      new PutObjectCommand({
        Bucket: LANDING,
        Key: 'privacy/requests/r2.csv',
        Body: 'subject,action\nC1,erase\n',
      }),
    );
    vi.stubEnv('PERSONALIZE_ARN_PREFIX', 'arn:aws:personalize:us-east-1:111122223333:');
    try {
      const result = await handler({ key: 'privacy/requests/r2.csv', requestId: 'r2' });

      expect(result.stores.personalize).toEqual({
        skip: false,
        dataLocation: `s3://${TRUSTED}/privacy/deletions/r2-erase/personalize-users.csv`,
        jobs: ['news', 'shop'].map((group) => ({
          datasetGroup: group,
          datasetGroupArn: `arn:aws:personalize:us-east-1:111122223333:dataset-group/${group}`,
          jobName: expect.stringMatching(/^del-r2-erase-[0-9a-f]{10}$/),
          jobArn: expect.stringMatching(
            /^arn:aws:personalize:us-east-1:111122223333:data-deletion-job\/del-r2-erase-/,
          ),
        })),
      });
    } finally {
      delete process.env['PERSONALIZE_ARN_PREFIX'];
    }
  });

  it('finish: writes every store outcome into the record, closes it and lists the stores for the email', async () => {
    const { handler } = await import('../../lambdas/handlers/privacy-request');
    const lakeDetail = {
      request: 'r1',
      erasure: { lines: [3], rowsRemoved: 1, objectsRewritten: 1, objectsDeleted: 0 },
    };
    const personalize = {
      store: 'Amazon Personalize (dataset group shop)',
      action: 'data deletion job',
      status: 'done' as const,
      detail: 'job del-r1 completed',
    };
    const destination = {
      store: 'Amazon Connect Customer Profiles (domain d)',
      action: 'deleted profiles',
      rows: 1,
      status: 'failed' as const,
      detail: '1 user ID(s) looked up, 0 not found, 1 failed (ThrottlingException x1)',
    };

    const result = await handler({
      mode: 'finish',
      requestId: 'r1',
      failed: false,
      detail: lakeDetail,
      plan: { recordRequestId: 'r1-erase', erased: true },
      outcomes: [[personalize], destination],
    });

    expect(result.failed).toBe(true);
    expect(result.status).toBe('failed');
    expect(result.detail.stores.map((s) => [s.store, s.status])).toEqual([
      [personalize.store, 'done'],
      [destination.store, 'failed'],
      ['Twilio Segment', 'manual'],
    ]);
    expect(result.detail.reason).toBe(`failed in: ${destination.store}`);
    const record = JSON.parse(await text(TRUSTED, 'privacy/records/r1-erase.json'));
    expect(record.status).toBe('failed');
    expect(record.finishedAt).toEqual(expect.any(String));
    expect(record.stores.slice(-2)).toEqual([personalize, destination]);
    // The lake's own stores are still there, before the others.
    expect(record.stores.length).toBeGreaterThan(2);
  });
});

async function listKeys(bucket: string): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!);
}

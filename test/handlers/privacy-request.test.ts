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
    expect(result.detail.stores.map((s) => [s.store, s.status])).toEqual([
      ['Amazon Personalize', 'by hand'],
      ['Customer Profiles / Pinpoint', 'by hand'],
      ['Twilio Segment', 'by hand'],
    ]);
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
    expect(JSON.parse(record)).toMatchObject({ status: 'completed', action: 'erase' });
  });
});

async function listKeys(bucket: string): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!);
}

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { writeSuppression } from '../../lambdas/core/privacy/suppression';
import { hashIdentifier } from '../../lambdas/core/privacy/subject';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store';
import { startS3rver, s3rverClient, type LocalS3 } from '../adapters/s3rver';

/** One bucket stands in for the three zones: their keys (`crm/…`, `trusted/…`, `quarantine/…`) never collide. */
const LAKE = 'cdp-test-lake';
const CUSTOMERS =
  'customer_id,email,first_name,last_name,phone,postcode,created_at\r\n' +
  'C1, Masha.Kelley@Example.com ,Masha,Kelley,(201) 555-0123,07030,2025-01-01T00:00:00Z\r\n' +
  'C2,sam@example.com,Sam,Lee,,10001,1735689600\r\n';

let s3rver: LocalS3;
let client: S3Client;
/** The salt secret in Secrets Manager (mocked); the lake itself is the S3-compatible server. */
const secrets = mockClient(SecretsManagerClient);
const SALT = 'ab'.repeat(32);

beforeAll(async () => {
  s3rver = await startS3rver(LAKE);
  client = s3rverClient(s3rver);
}, 30_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await s3rver?.stop();
});

beforeEach(() => {
  vi.resetModules();
  // The handler's own S3 client reads the endpoint and credentials from the standard variables.
  vi.stubEnv('AWS_ENDPOINT_URL_S3', s3rver.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  // s3rver stores an aws-chunked body as the object: send checksums only where S3 requires them.
  vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', 'WHEN_REQUIRED');
  vi.stubEnv('AWS_RESPONSE_CHECKSUM_VALIDATION', 'WHEN_REQUIRED');
  vi.stubEnv('LANDING_BUCKET', LAKE);
  vi.stubEnv('TRUSTED_BUCKET', LAKE);
  vi.stubEnv('QUARANTINE_BUCKET', LAKE);
  vi.stubEnv('MAX_BAD_SHARE', '0.05');
  vi.stubEnv('PHONE_REGION', 'US');
  vi.stubEnv('SUPPRESSION_BUCKET', LAKE);
  vi.stubEnv('PRIVACY_SALT_SECRET', 'cdp/privacy-salt');
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: 'cdp/privacy-salt' }).resolves({ SecretString: SALT });
});

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: LAKE, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!);
}

async function text(key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: LAKE, Key: key }));
  return object.Body!.transformToString();
}

const request = (key: string, etag: string) => ({
  source: { bucket: LAKE, key },
  etag,
  ingestDate: '2026-12-02',
});

describe('ingest-file handler, against an S3-compatible server', () => {
  it('ingests a landing file into trusted Parquet and returns Dataset Ingested with the counts', async () => {
    await client.send(new PutObjectCommand({ Bucket: LAKE, Key: 'crm/customers.csv', Body: CUSTOMERS }));
    const { handler } = await import('../../lambdas/handlers/ingest-file');

    const result = await handler(request('crm/customers.csv', '"e-1"'));

    expect(result.status).toBe('ingested');
    expect(result.detailType).toBe(EVENTS.datasetIngested.detailType);
    const detail = EVENTS.datasetIngested.schema.parse(result.detail);
    expect(detail.counts).toEqual({ rowsIn: 2, good: 2, bad: 0, duplicates: 0 });
    expect(detail.output.key).toMatch(
      /^trusted\/crm\/customers\/ingest_date=2026-12-02\/customers-.*\.parquet$/,
    );
    expect(await keysUnder('trusted/crm/customers/')).toEqual([detail.output.key]);
  });

  it('does nothing the second time the same content arrives, and says so', async () => {
    const { handler } = await import('../../lambdas/handlers/ingest-file');
    const before = await keysUnder('trusted/crm/');

    const result = await handler(request('crm/customers.csv', '"e-1"'));

    expect(result.status).toBe('already-ingested');
    expect(result.detail).toMatchObject({ alreadyIngested: true });
    expect(await keysUnder('trusted/crm/')).toEqual(before);
  });

  it('rejects a file with too many bad rows, writes the quarantine report, and keeps the original in landing', async () => {
    const bad = 'C9,not-an-email,A,B,,1,2025-01-01T00:00:00Z\r\n';
    await client.send(
      new PutObjectCommand({ Bucket: LAKE, Key: 'crm/customers-2.csv', Body: CUSTOMERS + bad }),
    );
    const { handler } = await import('../../lambdas/handlers/ingest-file');

    const result = await handler(request('crm/customers-2.csv', '"e-2"'));

    expect(result.status).toBe('rejected');
    const detail = EVENTS.datasetRejected.schema.parse(result.detail);
    expect(detail.firstProblems).toEqual([{ line: 4, column: 'email', reason: expect.any(String) }]);
    expect(detail.report).toEqual({ bucket: LAKE, key: 'quarantine/crm/customers-2.csv/report.csv' });
    expect(await text(detail.report!.key)).toContain('not-an-email');
    expect(await keysUnder('crm/customers-2.csv')).toEqual(['crm/customers-2.csv']);
    expect((await keysUnder('trusted/crm/customers/')).some((k) => k.includes('customers-2'))).toBe(false);
  });

  it('refuses a file from any bucket but the landing bucket', async () => {
    const { handler } = await import('../../lambdas/handlers/ingest-file');

    await expect(
      handler({
        ...request('crm/customers.csv', '"e-3"'),
        source: { bucket: 'elsewhere', key: 'crm/customers.csv' },
      }),
    ).rejects.toThrow('files are ingested from the landing bucket, not s3://elsewhere');
  });

  it('drops an erased subject from a re-delivered file, and counts the row without naming it', async () => {
    // Prepare: C1 was erased (by customer ID); the same CRM rows arrive again under a new name.
    const salt = Buffer.from(SALT, 'hex');
    await writeSuppression(new S3ObjectStore({ client, bucket: LAKE }), 'req-1', [
      hashIdentifier(salt, 'id', 'C1'),
    ]);
    await client.send(
      new PutObjectCommand({ Bucket: LAKE, Key: 'crm/customers-again.csv', Body: CUSTOMERS }),
    );
    const { handler } = await import('../../lambdas/handlers/ingest-file');

    // Act
    const result = await handler(request('crm/customers-again.csv', '"e-4"'));

    // Assess
    expect(result.status).toBe('ingested');
    const detail = EVENTS.datasetIngested.schema.parse(result.detail);
    expect(detail.counts).toEqual({ rowsIn: 2, good: 1, bad: 0, duplicates: 0, suppressed: 1 });
    const object = await client.send(new GetObjectCommand({ Bucket: LAKE, Key: detail.output.key }));
    const bytes = await object.Body!.transformToByteArray();
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset) as ArrayBuffer });
    expect(rows.map((row) => row.customer_id)).toEqual(['C2']);
    expect(JSON.stringify(result)).not.toMatch(/C1|masha/i);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});

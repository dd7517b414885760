import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { ingestFile } from '../../lambdas/core/ingest/ingest-file';
import { startS3rver, s3rverClient, type LocalS3 } from '../adapters/s3rver';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';

const TRUSTED = 'cdp-test-trusted';

let s3rver: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3rver = await startS3rver(TRUSTED);
  client = s3rverClient(s3rver);
  // The trusted zone as ingestion leaves it: two CRM records of one person (same email) and one other.
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
        'C2,MASHA@example.com,M.,Kelley,,07030,2025-02-01T00:00:00Z\n' +
        'C3,sam@example.com,Sam,Lee,,10001,2025-01-01T00:00:00Z\n',
    ),
  );
  await ingestFile(zones, { key: 'crm/customers.csv', etag: 'e1', ingestDate: '2026-12-02' });
  for (const [key, body] of zones.trusted.objects) {
    await client.send(new PutObjectCommand({ Bucket: TRUSTED, Key: key, Body: body }));
  }
  vi.stubEnv('AWS_ENDPOINT_URL_S3', s3rver.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', 'WHEN_REQUIRED');
  vi.stubEnv('AWS_RESPONSE_CHECKSUM_VALIDATION', 'WHEN_REQUIRED');
  vi.stubEnv('TRUSTED_BUCKET', TRUSTED);
}, 30_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await s3rver?.stop();
});

describe('resolve-identities handler, against an S3-compatible server', () => {
  it('resolves the trusted zone into the identity tables and returns Identities Resolved with the counts', async () => {
    const { handler } = await import('../../lambdas/handlers/resolve-identities');

    const detail = await handler();

    expect(EVENTS.identitiesResolved.schema.parse(detail)).toMatchObject({
      records: 3,
      bySource: { crm: 3, store: 0, web: 0 },
      profiles: 2,
      merges: { email: 1 },
      identityMap: { bucket: TRUSTED, key: 'trusted/identity/identity_map/identity_map.parquet' },
      profilesTable: { bucket: TRUSTED, key: 'trusted/identity/profiles/profiles.parquet' },
    });
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: TRUSTED, Prefix: 'trusted/identity/' }),
    );
    expect(page.Contents?.map((o) => o.Key)).toEqual([
      'trusted/identity/identity_map/identity_map.parquet',
      'trusted/identity/profiles/profiles.parquet',
      'trusted/identity/review.csv',
    ]);
  });
});

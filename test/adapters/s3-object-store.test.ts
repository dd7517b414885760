import { createHash, randomBytes, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3rver, s3rverClient, type LocalS3 } from './s3rver';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store';
import { UserFacingError } from '../../lambdas/core/errors';
import { listOf, objectStoreContract, rejectionOf } from './object-store.contract';

const BUCKET = 'cdp-test-landing';

let s3rver: LocalS3;
let client: S3Client;
/** The name of every command the client sent, to see how an upload was made. */
const sentCommands: string[] = [];

beforeAll(async () => {
  s3rver = await startS3rver(BUCKET);
  client = s3rverClient(s3rver, {
    // SDK v3 adds CRC32 checksums by default (since 3.729.0). s3rver ignores checksum headers, and a streamed
    // body goes out aws-chunked (chunk sizes and a checksum trailer around the bytes), which s3rver stores
    // as if it were the object. put() sends lib-storage's buffers, so the defaults happen to work, but they
    // test nothing here that s3rver checks: send checksums only where S3 requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName) sentCommands.push(context.commandName);
      return next(args);
    },
    { step: 'initialize', name: 'recordSentCommands' },
  );
});

afterAll(async () => {
  client?.destroy();
  await s3rver?.stop();
});

let storeCount = 0;
// Each store gets its own folder of the bucket, so every contract test starts empty.
objectStoreContract(
  'S3ObjectStore on s3rver',
  async () => new S3ObjectStore({ client, bucket: BUCKET, prefix: `contract-${++storeCount}` }),
);

describe('S3ObjectStore on s3rver', () => {
  beforeEach(() => {
    sentCommands.length = 0;
  });

  it('keeps keys under its prefix in the bucket and lists them relative to it', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET, prefix: 'tenant-a' });

    // Act
    await store.put('audiences/action.csv', 'User.UserId\n');

    // Assess
    const raw = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'tenant-a/audiences/action.csv' }),
    );
    expect(raw.ContentLength).toBe(12);
    expect((await listOf(store, '')).map((info) => info.key)).toEqual(['audiences/action.csv']);
  });

  it('uses keys as they are when it has no prefix', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET });

    // Act
    await store.put('no-prefix/action.csv', 'User.UserId\n');

    // Assess
    const raw = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no-prefix/action.csv' }));
    expect(raw.ContentLength).toBe(12);
  });

  it('names the bucket and the full key of a missing object in the error', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET, prefix: 'tenant-b/' });

    // Act
    const error = await rejectionOf(store.get('audiences/missing.csv'));

    // Assess
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as Error).message).toContain(`s3://${BUCKET}/tenant-b/audiences/missing.csv`);
  });

  it('stores the content type given to put', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET, prefix: 'tenant-c' });

    // Act
    await store.put('audiences/action.csv', 'User.UserId\n', { contentType: 'text/csv; charset=utf-8' });

    // Assess
    const raw = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'tenant-c/audiences/action.csv' }),
    );
    expect(raw.ContentType).toBe('text/csv; charset=utf-8');
  });

  it('skips the empty folder markers the S3 console creates', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET, prefix: 'tenant-d' });
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'tenant-d/landing/', Body: new Uint8Array() }),
    );
    await store.put('landing/interactions.csv', 'USER_ID,ITEM_ID,TIMESTAMP\n');

    // Act
    const keys = (await listOf(store, 'landing/')).map((info) => info.key);

    // Assess
    expect(keys).toEqual(['landing/interactions.csv']);
  });

  it('uploads a 50 MB stream in parts and streams it back with the same size and hash', async () => {
    // Prepare
    const store = new S3ObjectStore({ client, bucket: BUCKET, prefix: 'big' });
    const size = 50 * 1024 * 1024;
    const sentHash = createHash('sha256');

    // Act
    await store.put('interactions.bin', Readable.from(randomChunks(size, sentHash)));
    const receivedHash = createHash('sha256');
    let receivedSize = 0;
    for await (const chunk of await store.get('interactions.bin')) {
      receivedHash.update(chunk as Buffer);
      receivedSize += (chunk as Buffer).length;
    }

    // Assess
    expect(sentCommands).toContain('CreateMultipartUploadCommand');
    expect(sentCommands.filter((name) => name === 'UploadPartCommand').length).toBeGreaterThan(1);
    expect(sentCommands).toContain('CompleteMultipartUploadCommand');
    expect(receivedSize).toBe(size);
    expect(receivedHash.digest('hex')).toBe(sentHash.digest('hex'));
    expect((await store.head('interactions.bin'))?.size).toBe(size);
  });
});

/** `size` random bytes, 1 MiB at a time, fed to `hash` as they are made: never one big buffer. */
async function* randomChunks(size: number, hash: Hash): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < size;) {
    const chunk = randomBytes(Math.min(1024 * 1024, size - sent));
    hash.update(chunk);
    sent += chunk.length;
    yield chunk;
  }
}

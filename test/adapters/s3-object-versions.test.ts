import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store';
import { collect } from './segment/memory-object-store';

// s3rver answers NotImplemented to anything about versioning, so these calls are checked on a mock.
const s3 = mockClient(S3Client);
const store = new S3ObjectStore({
  client: new S3Client({ region: 'eu-west-1' }),
  bucket: 'lake',
  prefix: 'zone',
});

beforeEach(() => s3.reset());

describe('S3ObjectStore versions', () => {
  it("lists only this key's non-current versions, over every page, without the latest or delete markers", async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined }).resolves({
      IsTruncated: true,
      NextKeyMarker: 'zone/a.csv',
      NextVersionIdMarker: 'v2',
      Versions: [
        { Key: 'zone/a.csv', VersionId: 'v3', IsLatest: true },
        { Key: 'zone/a.csv', VersionId: 'v2', IsLatest: false },
      ],
      DeleteMarkers: [{ Key: 'zone/a.csv', VersionId: 'm1', IsLatest: false }],
    });
    s3.on(ListObjectVersionsCommand, { KeyMarker: 'zone/a.csv', VersionIdMarker: 'v2' }).resolves({
      IsTruncated: false,
      Versions: [
        { Key: 'zone/a.csv', VersionId: 'v1', IsLatest: false },
        { Key: 'zone/a.csv.bak', VersionId: 'b1', IsLatest: false },
      ],
    });

    // Act
    const ids = await collect(store.versions.noncurrent('a.csv'));

    // Assess
    expect(ids).toEqual(['v2', 'v1']);
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'lake',
      Prefix: 'zone/a.csv',
    });
  });

  it('lists nothing for an unversioned bucket, whose one version is the latest', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: 'zone/a.csv', VersionId: 'null', IsLatest: true }],
    });

    expect(await collect(store.versions.noncurrent('a.csv'))).toEqual([]);
  });

  it('reads and deletes one version by its ID', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: 'zone/a.csv', VersionId: 'v1' }).resolves({
      Body: Readable.from(['old bytes']) as never,
    });
    s3.on(DeleteObjectCommand).resolves({});

    // Act
    const body = await text(await store.versions.get('a.csv', 'v1'));
    await store.versions.delete('a.csv', 'v1');

    // Assess
    expect(body).toBe('old bytes');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake',
      Key: 'zone/a.csv',
      VersionId: 'v1',
    });
  });
});

import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserFacingError } from '../core/errors';
import type {
  DeletableObjectStore,
  ObjectInfo,
  ObjectVersions,
  PutOptions,
} from '../core/ports/object-store';

/**
 * 8 MiB parts, the AWS CLI's default: S3 wants at least 5 MiB per part and at most 10,000 parts,
 * so one object can reach 78 GiB, while an upload holds about (QUEUE_SIZE + 1) parts, 40 MiB, in memory.
 */
const PART_SIZE = 8 * 1024 * 1024;
/** Parts sent at once (lib-storage's default). */
const QUEUE_SIZE = 4;

/** Options of an S3ObjectStore. */
export interface S3ObjectStoreOptions {
  /** The SDK client, created once per container by the caller. It retries on its own. */
  readonly client: S3Client;
  /** The bucket holding the objects. */
  readonly bucket: string;
  /** A folder of the bucket that keys are relative to; a trailing `/` is added when missing. */
  readonly prefix?: string;
}

/** The ObjectStore over one S3 bucket (and optionally one folder of it). */
export class S3ObjectStore implements DeletableObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor({ client, bucket, prefix = '' }: S3ObjectStoreOptions) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  async get(key: string): Promise<Readable> {
    const { Body: body } = await this.#client
      .send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(key) }))
      .catch((error: unknown) => {
        if (nameOf(error) !== 'NoSuchKey') throw error;
        throw new UserFacingError('the file does not exist. Check its name and folder.', {
          location: this.#locationOf(key),
          cause: error,
        });
      });
    // In Node.js the SDK's Body is an IncomingMessage (or a checksum-validating stream around it).
    if (!(body instanceof Readable)) {
      throw new Error(`GetObject of ${this.#locationOf(key)} returned no Node.js stream`);
    }
    return body;
  }

  async getRange(key: string, start: number, end: number): Promise<Readable> {
    const { Body: body } = await this.#client.send(
      // HTTP ranges are inclusive: bytes=start-(end-1).
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: this.#keyOf(key),
        Range: `bytes=${start}-${end - 1}`,
      }),
    );
    if (!(body instanceof Readable)) {
      throw new Error(`GetObject of ${this.#locationOf(key)} returned no Node.js stream`);
    }
    return body;
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
    options: PutOptions = {},
  ): Promise<void> {
    // One PutObject when the body fits in one part, a multipart upload (aborted on failure) otherwise.
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: this.#keyOf(key),
        Body: toUploadBody(body),
        ContentType: options.contentType,
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    });
    await upload.done();
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const pages = paginateListObjectsV2(
      { client: this.#client },
      { Bucket: this.#bucket, Prefix: this.#keyOf(prefix) },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        // Skip the empty "folder" markers the S3 console creates: a local folder has no such file.
        if (object.Key === undefined || object.Key.endsWith('/')) continue;
        yield {
          key: object.Key.slice(this.#prefix.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          ...(object.ETag ? { etag: object.ETag } : {}),
        };
      }
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const object = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(key) }),
      );
      return {
        key,
        size: object.ContentLength ?? 0,
        lastModified: object.LastModified ?? new Date(0),
        ...(object.ETag ? { etag: object.ETag } : {}),
      };
    } catch (error) {
      // A HEAD response has no body, so S3's "NoSuchKey" reaches the SDK as a bare 404, "NotFound".
      if (nameOf(error) === 'NotFound' || nameOf(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(key) }));
  }

  /**
   * The bucket's non-current versions (an unversioned bucket has none: its only version, `null`,
   * is the latest). Needs s3:ListBucketVersions, s3:GetObjectVersion and s3:DeleteObjectVersion.
   */
  readonly versions: ObjectVersions = {
    noncurrent: (key) => this.#noncurrent(this.#keyOf(key)),
    get: async (key, versionId) => {
      const { Body: body } = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(key), VersionId: versionId }),
      );
      if (!(body instanceof Readable)) {
        throw new Error(`GetObject of ${this.#locationOf(key)} (a version) returned no Node.js stream`);
      }
      return body;
    },
    delete: async (key, versionId) => {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#keyOf(key), VersionId: versionId }),
      );
    },
  };

  async *#noncurrent(fullKey: string): AsyncIterable<string> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectVersionsCommand({
          Bucket: this.#bucket,
          Prefix: fullKey,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      // The prefix also matches longer keys (`a.csv` and `a.csv.bak`): only this key's versions count.
      // Delete markers come in DeleteMarkers, not Versions, so they are never read.
      for (const version of page.Versions ?? [])
        if (version.Key === fullKey && !version.IsLatest && version.VersionId) yield version.VersionId;
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    } while (keyMarker !== undefined);
  }

  #keyOf(key: string): string {
    return this.#prefix + key;
  }

  #locationOf(key: string): string {
    return `s3://${this.#bucket}/${this.#keyOf(key)}`;
  }
}

/** lib-storage takes strings, bytes and Node.js streams, but not a bare async iterable. */
function toUploadBody(
  body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
): Readable | string | Uint8Array {
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof Readable) return body;
  return Readable.from(body);
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * s3rver 3.7.1 makes its ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node.js 17 and
 * later) keeps in its legacy provider only: in the test process any page after the first fails with
 * InternalError.
 * So the server runs in a Node.js process of its own, started with --openssl-legacy-provider.
 */
const SERVER_SCRIPT = `
const [S3rver, directory, buckets] = [require(process.argv[1]), process.argv[2], process.argv[3]];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: buckets.split(',').map((name) => ({ name })) });
// s3rver has no versioning and answers ListObjectVersions with 405: answer as S3 does for a bucket
// that keeps no non-current version (an empty, complete list).
server.middleware.unshift(async (ctx, next) => {
  if (ctx.method !== 'GET' || !('versions' in ctx.query)) return next();
  ctx.type = 'application/xml';
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated></ListVersionsResult>';
});
server
  .run()
  .then(({ port }) => console.log(port), (error) => { console.error(error); process.exit(1); });
// Stop when the test process closes our stdin, or dies without closing it.
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** A real S3-compatible server on loopback with one bucket, and how to stop it. */
export interface LocalS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A server with `bucket` and any `more` buckets. */
export async function startS3rver(bucket: string, ...more: string[]): Promise<LocalS3> {
  const folder = await mkdtemp(path.join(tmpdir(), 'cdp-s3rver-'));
  const server: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '-e',
      SERVER_SCRIPT,
      createRequire(import.meta.url).resolve('s3rver'),
      folder,
      [bucket, ...more].join(','),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    createInterface({ input: server.stdout }).once('line', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (server.exitCode === null) {
        const exited = once(server, 'exit');
        server.stdin.end();
        await exited;
      }
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** An S3 client for the server: path-style requests and the credentials s3rver accepts. */
export function s3rverClient(server: LocalS3, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...config,
  });
}

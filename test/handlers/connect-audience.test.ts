import { Readable } from 'node:stream';
import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hashIdentifier } from '../../lambdas/core/privacy/subject';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
// Every Customer Profiles call of `prepare` answers as if the object type and segment existed.
const profiles = mockClient(CustomerProfilesClient);
const SALT = '12'.repeat(32);
const list = JSON.stringify({
  hashes: ['u2', 'u4'].map((id) => hashIdentifier(Buffer.from(SALT, 'hex'), 'id', id)),
});
const files: Record<string, string> = {
  // This run's import file was built before u4's erasure; u2 was a member at the last run.
  'audiences/weekly/action.csv': 'User.UserId\nu1\nu3\nu4\n',
  'connect/applied/genres-action.csv': 'User.UserId\nu1\nu2\n',
  'privacy/suppressed/req-1.json': list,
};

beforeEach(() => {
  vi.resetModules();
  for (const mock of [s3, sqs, secrets, profiles]) mock.reset();
  vi.stubEnv('AWS_REGION', 'eu-central-1');
  vi.stubEnv('TRUSTED_BUCKET', 'trusted');
  vi.stubEnv('CONNECT_STATE_PREFIX', 'connect/');
  vi.stubEnv('DOMAIN_NAME', 'cdp-audiences');
  vi.stubEnv('ALLOW_PROFILE_CREATION', 'false');
  vi.stubEnv('QUEUE_URL', 'https://sqs.eu-central-1.amazonaws.com/111122223333/changes');
  vi.stubEnv('HOLDOUT_PERCENT', '0');
  vi.stubEnv('SUPPRESSION_BUCKET', 'trusted');
  vi.stubEnv('PRIVACY_SALT_SECRET', 'cdp/privacy-salt');
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
  s3.on(ListObjectsV2Command, { Prefix: 'privacy/suppressed/' }).resolves({
    Contents: [{ Key: 'privacy/suppressed/req-1.json', Size: list.length, LastModified: new Date() }],
  });
  s3.on(HeadObjectCommand).resolves({ ContentLength: 10, LastModified: new Date() });
  s3.on(GetObjectCommand).callsFake(async ({ Key }: { Key: string }) => ({
    Body: Readable.from([Buffer.from(files[Key]!)]) as never,
  }));
  sqs.on(SendMessageBatchCommand).callsFake(async ({ Entries }: { Entries: { Id: string }[] }) => ({
    Successful: Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })),
    Failed: [],
  }));
});

describe('connect-audience handler', () => {
  it('queues no change, not even a leave, that names an erased user', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/handlers/connect-audience');

    // Act
    await handler({
      step: 'queue',
      run: 'run-1',
      audience: { name: 'action', audienceKey: 'genres-action', importKey: 'audiences/weekly/action.csv' },
    });

    // Assess: u3 enters; u1 stays; u2 (left) and u4 (new) are erased and never named.
    const bodies = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries!.map((e) => e.MessageBody!));
    const changes = bodies.flatMap((body) => (JSON.parse(body) as { changes: unknown[] }).changes);
    expect(changes).toEqual([{ userId: 'u3', kind: 'enter' }]);
    expect(bodies.join('\n')).not.toMatch(/u2|u4/);
  });
});

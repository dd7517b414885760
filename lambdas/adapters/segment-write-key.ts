import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { UserFacingError } from '../core/errors';

/**
 * Reads the Segment write key from Secrets Manager once per container and per secret name. A
 * failed read is not cached, so the next invocation asks again. The key itself never appears in
 * an error message: not even a JSON parse error, whose message would quote the secret.
 */
export function writeKeyReader(client: SecretsManagerClient): (secretName: string) => Promise<string> {
  return segmentSecretReader(client, WRITE_KEY);
}

/** What a Segment secret holds: its JSON field, and its name in error messages. */
export interface SegmentSecretKind {
  readonly field: string;
  readonly what: string;
}

const WRITE_KEY: SegmentSecretKind = { field: 'writeKey', what: 'the Segment write key' };

/** The Segment Public API token (privacy erasure): the token itself, or JSON with a `token` field. */
export const PUBLIC_API_TOKEN: SegmentSecretKind = { field: 'token', what: 'a Segment Public API token' };

/** `writeKeyReader` for any Segment secret: the value itself, or JSON with the kind's field. */
export function segmentSecretReader(
  client: SecretsManagerClient,
  kind: SegmentSecretKind,
): (secretName: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (secretName) => {
    let key = cache.get(secretName);
    if (!key) {
      key = read(client, secretName, kind).catch((error: unknown) => {
        cache.delete(secretName);
        throw error;
      });
      cache.set(secretName, key);
    }
    return key;
  };
}

async function read(
  client: SecretsManagerClient,
  secretName: string,
  kind: SegmentSecretKind,
): Promise<string> {
  const { SecretString: secret } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
  if (!secret?.trim())
    throw new UserFacingError(`the secret ${secretName} is empty: store ${kind.what} in it`);
  // The secret is the value itself, or JSON with the kind's field (`writeKey`, `token`).
  if (!secret.trimStart().startsWith('{')) return secret.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new UserFacingError(`the secret ${secretName} starts like JSON but is not valid JSON`);
  }
  const result = z.object({ [kind.field]: z.string().min(1) }).safeParse(parsed);
  if (!result.success)
    throw new UserFacingError(`the secret ${secretName} is JSON without a ${kind.field} field`);
  return result.data[kind.field] as string;
}

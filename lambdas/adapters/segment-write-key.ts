import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { UserFacingError } from '../core/errors';

/**
 * Reads the Segment write key from Secrets Manager once per container and per secret name. A
 * failed read is not cached, so the next invocation asks again. The key itself never appears in
 * an error message: not even a JSON parse error, whose message would quote the secret.
 */
export function writeKeyReader(client: SecretsManagerClient): (secretName: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (secretName) => {
    let key = cache.get(secretName);
    if (!key) {
      key = read(client, secretName).catch((error: unknown) => {
        cache.delete(secretName);
        throw error;
      });
      cache.set(secretName, key);
    }
    return key;
  };
}

async function read(client: SecretsManagerClient, secretName: string): Promise<string> {
  const { SecretString: secret } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
  if (!secret?.trim())
    throw new UserFacingError(`the secret ${secretName} is empty: store the Segment write key in it`);
  // The secret is the key itself, or JSON with a `writeKey` field.
  if (!secret.trimStart().startsWith('{')) return secret.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new UserFacingError(`the secret ${secretName} starts like JSON but is not valid JSON`);
  }
  const result = z.object({ writeKey: z.string().min(1) }).safeParse(parsed);
  if (!result.success) throw new UserFacingError(`the secret ${secretName} is JSON without a writeKey field`);
  return result.data.writeKey;
}

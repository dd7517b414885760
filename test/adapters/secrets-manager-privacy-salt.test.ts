import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManagerPrivacySalt } from '../../lambdas/adapters/secrets-manager-privacy-salt';

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

describe('SecretsManagerPrivacySalt', () => {
  it('reads the hex salt once per container', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${'0f'.repeat(32)}\n` });
    const salt = new SecretsManagerPrivacySalt(new SecretsManagerClient({}), 'cdp/privacy-salt');

    expect(Buffer.from(await salt.salt()).toString('hex')).toBe('0f'.repeat(32));
    await salt.salt();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses a salt shorter than 16 bytes without quoting it, and asks again after a failure', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'abc123' })
      .resolves({ SecretString: 'ab'.repeat(16) });
    const salt = new SecretsManagerPrivacySalt(new SecretsManagerClient({}), 'cdp/privacy-salt');

    const error = await salt.salt().catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/at least 32 hex characters/);
    expect((error as Error).message).not.toContain('abc123');
    expect((await salt.salt()).length).toBe(16);
  });
});

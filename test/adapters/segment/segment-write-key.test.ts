import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeKeyReader } from '../../../lambdas/adapters/segment-write-key';

const secrets = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

beforeEach(() => {
  secrets.reset();
});

describe('writeKeyReader', () => {
  it('reads a secret that is the write key itself', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ' wk_plain \n' });

    // Act
    const key = await writeKeyReader(client)('cdp/segment');

    // Assess
    expect(key).toBe('wk_plain');
  });

  it('reads the writeKey field of a JSON secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"writeKey":"wk_json"}' });

    // Act
    const key = await writeKeyReader(client)('cdp/segment');

    // Assess
    expect(key).toBe('wk_json');
  });

  it('asks Secrets Manager once, then answers from its cache', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'wk_cached' });
    const read = writeKeyReader(client);

    // Act
    await read('cdp/segment');
    await read('cdp/segment');

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('asks again after a failed read instead of caching the failure', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'wk_second' });
    const read = writeKeyReader(client);

    // Act
    const first = await read('cdp/segment').catch((error: Error) => error.message);
    const second = await read('cdp/segment');

    // Assess
    expect([first, second]).toEqual(['throttled', 'wk_second']);
  });

  it('does not quote a malformed JSON secret in its error', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"writeKey": wk_broken_json' });

    // Act
    const reading = writeKeyReader(client)('cdp/segment');

    // Assess
    await expect(reading).rejects.toThrow('the secret cdp/segment starts like JSON but is not valid JSON');
    await expect(reading).rejects.not.toThrow('wk_broken_json');
  });
});

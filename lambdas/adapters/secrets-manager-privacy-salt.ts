import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UserFacingError } from '../core/errors';
import type { PrivacySalt } from '../core/ports/privacy-salt';

/**
 * The privacy salt in Secrets Manager: the secret CDK generates (`PrivacyRequests`), 64 hex
 * characters (32 bytes). Read once per container; a failed read is not cached. The salt never
 * appears in an error message.
 */
export class SecretsManagerPrivacySalt implements PrivacySalt {
  #salt: Promise<Uint8Array> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  salt(): Promise<Uint8Array> {
    this.#salt ??= this.#read().catch((error: unknown) => {
      this.#salt = undefined;
      throw error;
    });
    return this.#salt;
  }

  async #read(): Promise<Uint8Array> {
    const { SecretString: secret } = await this.client.send(
      new GetSecretValueCommand({ SecretId: this.secretId }),
    );
    const text = secret?.trim() ?? '';
    if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(text))
      throw new UserFacingError(
        `the privacy salt secret ${this.secretId} does not hold at least 32 hex characters`,
      );
    return Buffer.from(text, 'hex');
  }
}

/**
 * The secret salt of the privacy hashes (suppression list, request records): Secrets Manager in
 * the cloud, a local file offline. One salt per deployment: the same person always hashes the same.
 */
export interface PrivacySalt {
  /** The salt's bytes (at least 16). */
  salt(): Promise<Uint8Array>;
}

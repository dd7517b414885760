import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserFacingError } from '../core/errors';
import type { PrivacySalt } from '../core/ports/privacy-salt';

/** Where an offline tree keeps its salt: under `privacy/`, which erasure never reads. */
export const LOCAL_SALT_FILE = path.join('privacy', 'salt');

/**
 * The privacy salt of an offline tree, in a file (the cloud keeps it in Secrets Manager). The
 * first erasure creates it (32 random bytes, readable by the owner only); ingestion only reads it.
 */
export class LocalPrivacySalt implements PrivacySalt {
  #salt: Uint8Array | undefined;

  constructor(
    private readonly file: string,
    private readonly options: { readonly create: boolean } = { create: false },
  ) {}

  /** The salt file of the tree at `dir`. */
  static of(dir: string, options?: { readonly create: boolean }): LocalPrivacySalt {
    return new LocalPrivacySalt(path.join(dir, LOCAL_SALT_FILE), options);
  }

  async salt(): Promise<Uint8Array> {
    if (this.#salt) return this.#salt;
    try {
      this.#salt = Buffer.from((await readFile(this.file, 'utf8')).trim(), 'hex');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !this.options.create) {
        throw new UserFacingError(`cannot read the privacy salt ${this.file}`, { cause: error });
      }
      this.#salt = randomBytes(32);
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(this.file, `${Buffer.from(this.#salt).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    }
    if (this.#salt.length < 16)
      throw new UserFacingError(`the privacy salt ${this.file} is shorter than 16 bytes`);
    return this.#salt;
  }
}

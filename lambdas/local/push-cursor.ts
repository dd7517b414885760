import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LocalObjectStore } from '../adapters/local-object-store';
import { UserFacingError } from '../core/errors';
import { syncCursorSchema } from '../core/segment/cursor-schema';
import type { SyncCursor } from '../core/segment/sync-scores';

/** Where an interrupted `cdp push-scores` stopped: enough to continue it with `--resume`. */
export interface SavedPush {
  readonly run: string;
  /** The score files, as given on the command line, in order: the cursor indexes into them. */
  readonly files: readonly string[];
  /** Kept so a resumed push writes the same trait value as the part already sent. */
  readonly scoredAt: string;
  readonly cursor: SyncCursor;
}

const savedPushSchema: z.ZodType<SavedPush> = z.object({
  run: z.string(),
  files: z.array(z.string()).min(1),
  scoredAt: z.string(),
  cursor: syncCursorSchema,
});

/**
 * The cursor file of a run: `<failed-dir>/cursors/<run>.json`, next to the kept batches and the
 * invalid-rows report (not under `failed/`, where every `.json` is read as a kept batch).
 */
export class PushCursorFile {
  readonly file: string;
  private readonly store: LocalObjectStore;
  private readonly key: string;

  constructor(failedDir: string, run: string) {
    this.store = new LocalObjectStore({ root: failedDir });
    this.key = `cursors/${encodeURIComponent(run)}.json`;
    this.file = path.join(failedDir, this.key);
  }

  /** The saved push, or undefined when the run has none. */
  async read(): Promise<SavedPush | undefined> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    const parsed = savedPushSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new UserFacingError(`is not a push-scores cursor: ${z.prettifyError(parsed.error)}`, {
        location: this.file,
      });
    return parsed.data;
  }

  /** Writes it aside and renames it, so an interruption while saving never leaves half a cursor. */
  async save(push: SavedPush): Promise<void> {
    await this.store.put(this.key, `${JSON.stringify(push, null, 2)}\n`);
  }

  /** Removes it once the run has finished. */
  async remove(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

/** Where a saved push stopped, for messages: `churn.csv line 7,001`. */
export function describeStop(push: SavedPush): string {
  const file = push.files[push.cursor.source];
  return file === undefined
    ? 'the end of its files'
    : `${path.basename(file)} line ${push.cursor.line.toLocaleString('en-US')}`;
}

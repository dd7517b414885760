import type { UserConsumer } from './batch-segment-reader';
import type { CsvFile } from './csv-file';
import { RepeatFilter, type Repeats } from './dedupe';
import type { EndpointIndex } from './endpoint-index';
import { type HoldoutRule, isHeldOutHash } from './holdout';
import {
  decodeJsonString,
  hashIdBytes,
  idHash,
  isWellFormedString,
  isWellFormedUtf8,
  NEEDS_QUOTES,
  NON_ASCII,
} from './id-bytes';
import { removeRepeats } from './remove-repeats';

/** Counts of one audience, as the manifest reports them. */
export interface AudienceCounts {
  /** Entries read from the user list (before anything is dropped). */
  readonly received: number;
  /** IDs that cannot be written: empty, not valid Unicode, or not a string. */
  readonly invalid: number;
  /** Repeats of a user already in the audience. */
  readonly duplicates: number;
  /** Users put in the hold-out file instead of the import file. */
  readonly holdout: number;
  /** Users in the import file (user-ID mode) or users with at least one endpoint (endpoint mode). */
  readonly targeted: number;
  /** Users without any endpoint in the export (endpoint mode). */
  readonly unresolved: number;
  /** Rows of the import file in endpoint mode. */
  readonly endpoints: number;
  /** Users left out because they were erased (privacy suppression list). */
  readonly suppressed: number;
}

/** The files of one audience. The unresolved file is opened on first use only. */
export interface AudienceFiles {
  readonly import: CsvFile;
  readonly holdout: CsvFile | undefined;
  readonly openUnresolved: () => CsvFile;
  /** Reads a closed file back and opens it again for writing (to take repeated users out). */
  readonly reopen: (file: CsvFile) => Promise<{ read: AsyncIterable<Uint8Array>; write: CsvFile }>;
}

type Side = 'import' | 'holdout' | 'unresolved';

/**
 * Takes the users of one query and writes them: split between the import file and the hold-out
 * file, joined to their endpoint IDs in endpoint mode, and de-duplicated (at once for small lists;
 * for large ones when the line ends, see dedupe.ts). Works on the ID bytes: an ID is only decoded
 * when it has JSON escapes. A repeated user always lands in the same file as its first occurrence
 * (the hold-out and the endpoint lookup depend on the ID only), so each file is checked on its own.
 */
export class AudienceWriter implements UserConsumer {
  private unresolvedFile: CsvFile | undefined;
  private readonly filters: Record<Side, RepeatFilter> = {
    import: new RepeatFilter(),
    holdout: new RepeatFilter(),
    unresolved: new RepeatFilter(),
  };
  private readonly repeats = new Map<Side, Repeats>();
  private counts = {
    received: 0,
    invalid: 0,
    duplicates: 0,
    holdout: 0,
    targeted: 0,
    unresolved: 0,
    endpoints: 0,
    suppressed: 0,
  };

  constructor(
    private readonly files: AudienceFiles,
    private readonly holdout: HoldoutRule | undefined,
    private readonly endpointIndex: EndpointIndex | undefined,
    private readonly suppressed?: (userId: string) => boolean,
  ) {}

  get result(): AudienceCounts {
    return { ...this.counts };
  }

  /** Every file this audience has opened so far. */
  get openFiles(): CsvFile[] {
    return [this.files.import, this.files.holdout, this.unresolvedFile].filter(
      (f): f is CsvFile => f !== undefined,
    );
  }

  /** The key of the unresolved-users file, when there were any. */
  get unresolvedKey(): string | undefined {
    return this.unresolvedFile?.key;
  }

  /** Counts entries of the line that were not IDs at all (null, objects), reported by the reader. */
  addInvalid(count: number): void {
    this.counts.invalid += count;
    this.counts.received += count;
  }

  user(raw: Buffer, rawStart: number, rawEnd: number, escaped: boolean, hashed: boolean): void {
    const counts = this.counts;
    counts.received++;
    let bytes: Uint8Array = raw;
    let start = rawStart;
    let end = rawEnd;
    if (escaped) {
      const text = decodeJsonString(raw, rawStart, rawEnd);
      if (text === undefined || !isWellFormedString(text)) {
        counts.invalid++;
        return;
      }
      bytes = Buffer.from(text, 'utf8');
      start = 0;
      end = bytes.length;
    }
    if (end === start) {
      counts.invalid++;
      return;
    }
    if (
      this.suppressed?.(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'))
    ) {
      counts.suppressed++;
      return;
    }
    if (!hashed || escaped) hashIdBytes(bytes, start, end);
    const h1 = idHash[0]!;
    const h2 = idHash[1]!;
    const flags = idHash[2]!;
    if (flags & NON_ASCII && !escaped && !isWellFormedUtf8(bytes, start, end)) {
      counts.invalid++;
      return;
    }
    const needsQuotes = (flags & NEEDS_QUOTES) !== 0;
    if (this.holdout !== undefined && isHeldOutHash(h2, this.holdout)) {
      if (!this.filters.holdout.offer(h1, h2)) {
        counts.duplicates++;
        return;
      }
      this.files.holdout!.field(bytes, start, end, needsQuotes);
      counts.holdout++;
      return;
    }
    const index = this.endpointIndex;
    if (index === undefined) {
      if (!this.filters.import.offer(h1, h2)) {
        counts.duplicates++;
        return;
      }
      this.files.import.field(bytes, start, end, needsQuotes);
      counts.targeted++;
      return;
    }
    const u = index.find(bytes, start, end, h2);
    if (u < 0) {
      if (!this.filters.unresolved.offer(h1, h2)) {
        counts.duplicates++;
        return;
      }
      this.unresolvedFile ??= this.files.openUnresolved();
      this.unresolvedFile.field(bytes, start, end, needsQuotes);
      counts.unresolved++;
      return;
    }
    if (!this.filters.import.offer(h1, h2)) {
      counts.duplicates++;
      return;
    }
    counts.endpoints += index.writeEndpoints(u, this.files.import);
    counts.targeted++;
  }

  /** Checks the logs for repeated users and corrects the counts. Call once, after the last user. */
  finishUsers(): void {
    const counts = this.counts;
    for (const side of ['import', 'holdout', 'unresolved'] as const) {
      const found = this.filters[side].findRepeats();
      if (found.extra === 0) continue;
      this.repeats.set(side, found);
      counts.duplicates += found.extra;
      if (side === 'import') counts.targeted -= found.extra;
      else if (side === 'holdout') counts.holdout -= found.extra;
      else counts.unresolved -= found.extra;
    }
  }

  /** Resolves once the files that want it have drained. */
  async drained(): Promise<void> {
    for (const file of this.openFiles) if (file.needsDrain) await file.drained();
  }

  /** Ends and stores every file, then rewrites any that held repeated users. */
  async close(): Promise<void> {
    await Promise.all(this.openFiles.map((file) => file.close()));
    for (const [side, found] of this.repeats) {
      const file =
        side === 'import'
          ? this.files.import
          : side === 'holdout'
            ? this.files.holdout!
            : this.unresolvedFile!;
      const { read, write } = await this.files.reopen(file);
      // Endpoint rows are endpoint IDs, not user IDs: every row is checked there (each endpoint has one user).
      const byEndpoint = side === 'import' && this.endpointIndex !== undefined;
      const removed = await removeRepeats(read, write, byEndpoint ? undefined : found.hashes);
      await write.close();
      if (byEndpoint) this.counts.endpoints -= removed;
    }
  }

  /** Discards every file. */
  abort(): void {
    for (const file of this.openFiles) file.abort();
  }
}

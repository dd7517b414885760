import { finished } from 'node:stream/promises';
import { UserFacingError } from '../errors';
import { audienceKeyOf, jobPartOf, queryText } from './audience-name';
import type { AudienceSink } from './audience-sink';
import { AudienceWriter } from './audience-writer';
import {
  type AudienceQuery,
  BatchSegmentReader,
  type LineHead,
  type LineSummary,
  type SegmentLineVisitor,
} from './batch-segment-reader';
import { CsvFile } from './csv-file';
import type { EndpointIndex } from './endpoint-index';
import type { EndpointExportStats } from './endpoint-export-reader';
import { holdoutRule, holdoutThreshold } from './holdout';
import type { ActivationManifest, AudienceEntry, KeyMode, LineIssue } from './manifest';

/**
 * Batch segment output → one audience per query (Pinpoint import CSV, hold-out CSV) + manifest.json.
 * The whole file is streamed once; memory holds one audience's de-duplication set at a time (and the
 * endpoint index in endpoint mode).
 */

export interface BuildAudiencesOptions {
  /** The batch segment job: part of every audience name. */
  readonly jobName: string;
  /** Shown in the manifest and messages, e.g. the S3 key or file path of the `.out` file. */
  readonly source: string;
  /** `userId` (default): `User.UserId` files. `endpointId`: `Id` files, needs `endpointIndex`. */
  readonly keyMode?: KeyMode;
  /** The export index from `readEndpointExport`, for `endpointId`. */
  readonly endpointIndex?: EndpointIndex;
  /** Its statistics, copied into the manifest. */
  readonly endpointExport?: EndpointExportStats;
  /** Share of each audience kept out as a control group, 0 (default) to < 100. */
  readonly holdoutPercent?: number;
  /** Called after each chunk with the bytes read so far. */
  readonly onProgress?: (bytesRead: number) => void;
  /**
   * Write `manifest.json` even when no line became an audience. Default true: the activation
   * workflow's failure email points to it as the report. The CLI passes false, so a file that is
   * not batch segment output leaves nothing behind that could be taken for a result.
   */
  readonly manifestWhenNothingUsable?: boolean;
  /** Erased subjects (privacy): true for a user ID that must never be sent; it is left out of every file. */
  readonly suppressed?: (userId: string) => boolean;
}

const MAX_ISSUES = 1000;
const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
/** Audiences whose files may be finishing (uploads completing) while the next ones are written. */
const MAX_CLOSING = 16;

type Open = { line: number; name: string; key: string; writer: AudienceWriter; identity: string };

class AudienceBuilder implements SegmentLineVisitor {
  readonly audiences: AudienceEntry[] = [];
  readonly issues: LineIssue[] = [];
  issueCount = 0;
  lines = 0;
  skippedLines = 0;
  usersRead = 0;
  private readonly names = new Map<string, { identity: string; line: number }>();
  private current: Open | undefined;
  private repeatOf: number | undefined;
  private closing: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    private readonly sink: AudienceSink,
    private readonly options: BuildAudiencesOptions,
    private readonly keyMode: KeyMode,
  ) {}

  openLine(head: LineHead): AudienceWriter | undefined {
    if (head.error !== undefined) return undefined;
    const identity = JSON.stringify(head.query);
    let key = audienceKeyOf(head.query);
    let name = `${key}--${jobPartOf(this.options.jobName)}`;
    const taken = this.names.get(name);
    if (taken?.identity === identity) {
      this.repeatOf = taken.line;
      return undefined;
    }
    if (taken) {
      // Two different queries whose 32-bit name hashes collide: the later one gets the 64-bit hash.
      key = audienceKeyOf(head.query, 16);
      name = `${key}--${jobPartOf(this.options.jobName)}`;
    }
    this.names.set(name, { identity, line: head.line });
    // Pinpoint's "Importing segments" guide: a segment file of user IDs alone is accepted when the
    // users' endpoints already exist, and the segment then holds every endpoint of each user, so no
    // per-user API call is needed. A file of endpoint `Id`s names the endpoints themselves.
    const header = this.keyMode === 'endpointId' ? 'Id' : 'User.UserId';
    const percent = this.options.holdoutPercent ?? 0;
    const open = (fileKey: string, fileHeader: string): CsvFile =>
      new CsvFile(fileKey, this.sink.openWrite(fileKey, CSV_CONTENT_TYPE), fileHeader);
    const writer = new AudienceWriter(
      {
        import: open(`${name}.csv`, header),
        // The hold-out is for measurement, not for import: it always lists user IDs.
        holdout: percent > 0 ? open(`${name}.holdout.csv`, 'User.UserId') : undefined,
        openUnresolved: () => open(`${name}.unresolved.csv`, 'User.UserId'),
        reopen: async (file) => ({
          read: await this.sink.openRead(file.key),
          write: open(file.key, file.header),
        }),
      },
      percent > 0 ? holdoutRule(key, percent) : undefined,
      this.options.endpointIndex,
      this.options.suppressed,
    );
    this.current = { line: head.line, name, key, writer, identity };
    return writer;
  }

  closeLine(summary: LineSummary): void {
    this.lines++;
    this.usersRead += summary.users;
    const open = this.current;
    this.current = undefined;
    const repeatOf = this.repeatOf;
    this.repeatOf = undefined;
    open?.writer.addInvalid(summary.invalidEntries);
    if (!summary.problem && !summary.error) open?.writer.finishUsers();
    const counts = open?.writer.result;
    const query = summary.query && queryText(summary.query);
    let reason: string | undefined;
    if (summary.problem) reason = summary.problem;
    else if (summary.error) reason = `Personalize reported an error for this query: ${summary.error}`;
    else if (repeatOf !== undefined)
      reason = `the same query as line ${repeatOf}; its users were not written twice`;
    else if (!summary.hasUserList) reason = 'the line has no output.usersList or output.recommendedUsers';
    else if (summary.users === 0) reason = 'the query has no users';
    else if (counts && counts.targeted === 0) reason = `no user left to target (${describeDropped(counts)})`;
    else if (!counts) reason = 'the query has no users';
    if (reason !== undefined) {
      open?.writer.abort();
      // A later line with the same query may still make this audience.
      if (open) this.names.delete(open.name);
      this.skippedLines++;
      this.issue({ line: summary.line, reason, query, skipped: true });
      return;
    }
    const { writer, name, key } = open!;
    if (counts!.invalid > 0) {
      this.issue({
        line: summary.line,
        reason: `${counts!.invalid} user IDs were not usable (empty, not valid Unicode, or not a string) and were left out`,
        query,
        skipped: false,
      });
    }
    const closed = writer.close().then(
      // Counted after closing: taking repeats out of an endpoint file changes its row count.
      () => void this.audiences.push(this.entryOf(summary, name, key, writer)),
      (error: unknown) => void (this.failure ??= error),
    );
    this.closing.push(closed);
  }

  /** Waits for backpressure and for finishing files, so memory stays bounded; rethrows a storage failure. */
  async settle(all = false): Promise<void> {
    if (this.current) await this.current.writer.drained();
    while (this.closing.length > (all ? 0 : MAX_CLOSING)) await this.closing.shift();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Discards the audience being written (the run failed). */
  abort(): void {
    this.current?.writer.abort();
  }

  private entryOf(summary: LineSummary, name: string, key: string, writer: AudienceWriter): AudienceEntry {
    const counts = writer.result;
    const query = summary.query as AudienceQuery;
    return {
      name,
      audienceKey: key,
      query: queryText(query),
      queryInput: query,
      line: summary.line,
      size: counts.targeted,
      holdoutSize: counts.holdout,
      unresolvedUsers: counts.unresolved,
      duplicateUsers: counts.duplicates,
      invalidUserIds: counts.invalid,
      ...(counts.suppressed > 0 ? { suppressedUsers: counts.suppressed } : {}),
      ...(this.keyMode === 'endpointId' ? { endpoints: counts.endpoints } : {}),
      files: {
        import: `${name}.csv`,
        ...((this.options.holdoutPercent ?? 0) > 0 ? { holdout: `${name}.holdout.csv` } : {}),
        ...(writer.unresolvedKey ? { unresolved: writer.unresolvedKey } : {}),
      },
    };
  }

  private issue(issue: LineIssue): void {
    this.issueCount++;
    if (this.issues.length < MAX_ISSUES) this.issues.push(issue);
  }
}

function describeDropped(counts: AudienceWriter['result']): string {
  const parts = [
    [counts.holdout, 'held out'],
    [counts.unresolved, 'without an endpoint'],
    [counts.duplicates, 'duplicates'],
    [counts.invalid, 'not usable'],
    [counts.suppressed, 'erased (suppression list)'],
  ] as const;
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`)
      .join(', ') || 'none usable'
  );
}

/**
 * Reads a batch segment output stream and writes one audience per query through the sink, then
 * `manifest.json`. Returns the manifest. Throws (a UserFacingError for bad options) only when nothing
 * can be trusted; every bad line is reported in the manifest instead.
 */
export async function buildAudiences(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  sink: AudienceSink,
  options: BuildAudiencesOptions,
): Promise<ActivationManifest> {
  const keyMode = options.keyMode ?? 'userId';
  if (keyMode === 'endpointId' && !options.endpointIndex) {
    throw new UserFacingError('endpoint ID mode needs the Pinpoint endpoint export (an endpoint index)');
  }
  if (options.jobName.trim() === '') throw new UserFacingError('the job name is empty');
  holdoutThreshold(options.holdoutPercent ?? 0);
  const builder = new AudienceBuilder(sink, options, keyMode);
  const reader = new BatchSegmentReader(builder);
  let bytesRead = 0;
  try {
    for await (const chunk of input) {
      reader.write(chunk);
      bytesRead += chunk.length;
      options.onProgress?.(bytesRead);
      await builder.settle();
    }
    reader.end();
    await builder.settle(true);
  } catch (error) {
    builder.abort();
    throw error;
  }
  const manifest = manifestOf(builder, options, keyMode);
  if (manifest.audiences.length === 0 && options.manifestWhenNothingUsable === false) return manifest;
  const file = sink.openWrite(manifest.manifestKey, 'application/json');
  file.end(`${JSON.stringify(manifest, null, 2)}\n`);
  await finished(file);
  return manifest;
}

function manifestOf(
  builder: AudienceBuilder,
  options: BuildAudiencesOptions,
  keyMode: KeyMode,
): ActivationManifest {
  const audiences = [...builder.audiences].sort((a, b) => a.line - b.line);
  const issues = [...builder.issues].sort((a, b) => a.line - b.line);
  const sum = (pick: (a: AudienceEntry) => number): number =>
    audiences.reduce((total, a) => total + pick(a), 0);
  const exportStats = options.endpointExport;
  return {
    version: 1,
    jobName: options.jobName,
    source: options.source,
    keyMode,
    importHeader: keyMode === 'endpointId' ? 'Id' : 'User.UserId',
    holdoutPercent: options.holdoutPercent ?? 0,
    audiences,
    issues,
    issueCount: builder.issueCount,
    totals: {
      lines: builder.lines,
      audiences: audiences.length,
      skippedLines: builder.skippedLines,
      usersRead: builder.usersRead,
      targetedUsers: sum((a) => a.size),
      holdoutUsers: sum((a) => a.holdoutSize),
      duplicateUsers: sum((a) => a.duplicateUsers),
      unresolvedUsers: sum((a) => a.unresolvedUsers),
      invalidUserIds: sum((a) => a.invalidUserIds),
      endpoints: sum((a) => a.endpoints ?? 0),
    },
    ...(exportStats
      ? {
          endpointExport: {
            files: exportStats.files,
            endpoints: exportStats.endpoints,
            users: exportStats.users,
            endpointsWithoutUser: exportStats.endpointsWithoutUser,
            issues: exportStats.issues,
            issueCount: exportStats.issueCount,
          },
        }
      : {}),
    manifestKey: 'manifest.json',
  };
}

import type { AudienceQuery } from './batch-segment-reader';
import type { EndpointExportStats } from './endpoint-export-reader';

/**
 * `manifest.json`: what one activation run produced, written next to the audience files. The
 * Lambda returns it and the notification email is built from it, so every line of the input is
 * accounted for here: as an audience or as an issue.
 */

/** Which ID the import files hold: `User.UserId` (Pinpoint adds each user's endpoints) or endpoint `Id`. */
export type KeyMode = 'userId' | 'endpointId';

/** One audience: one query of the batch segment job. */
export interface AudienceEntry {
  /** `<audience key>--<job part>`: the file stem and the Pinpoint segment name. */
  readonly name: string;
  /** The query part of the name; the hold-out is drawn per audience key. */
  readonly audienceKey: string;
  /** The query as text, e.g. `ITEMS.genres = "Action"`. */
  readonly query: string;
  readonly queryInput: AudienceQuery;
  /** Line of the batch segment output it came from. */
  readonly line: number;
  /** Users targeted: rows of the import file (user-ID mode), users with an endpoint (endpoint mode). */
  readonly size: number;
  readonly holdoutSize: number;
  /** Users without an endpoint in the export (endpoint mode; 0 otherwise). */
  readonly unresolvedUsers: number;
  readonly duplicateUsers: number;
  /** Entries that were not usable IDs (empty, not valid Unicode, not a string). */
  readonly invalidUserIds: number;
  /** Users left out because they were erased (privacy suppression list): a count, never who. */
  readonly suppressedUsers?: number;
  /** Rows of the import file in endpoint mode. */
  readonly endpoints?: number;
  /** Keys of the files, relative to the output root. */
  readonly files: { readonly import: string; readonly holdout?: string; readonly unresolved?: string };
}

/** A line of the input that was reported: skipped entirely, or used with some IDs left out. */
export interface LineIssue {
  readonly line: number;
  readonly reason: string;
  readonly query?: string;
  /** True when the line produced no audience. */
  readonly skipped: boolean;
}

export interface ActivationTotals {
  /** Non-blank lines read. */
  readonly lines: number;
  readonly audiences: number;
  readonly skippedLines: number;
  /** User entries read over all lines (skipped lines included), before anything was dropped. */
  readonly usersRead: number;
  readonly targetedUsers: number;
  readonly holdoutUsers: number;
  readonly duplicateUsers: number;
  readonly unresolvedUsers: number;
  readonly invalidUserIds: number;
  readonly endpoints: number;
}

export interface ActivationManifest {
  readonly version: 1;
  readonly jobName: string;
  /** The batch segment output that was read. */
  readonly source: string;
  readonly keyMode: KeyMode;
  /** CSV header of the import files. */
  readonly importHeader: 'User.UserId' | 'Id';
  readonly holdoutPercent: number;
  readonly audiences: readonly AudienceEntry[];
  /** The first 1,000 issues, in line order. */
  readonly issues: readonly LineIssue[];
  readonly issueCount: number;
  readonly totals: ActivationTotals;
  /** The endpoint export that resolved user IDs (endpoint mode). */
  readonly endpointExport?: Omit<EndpointExportStats, 'indexBytes'>;
  /** Key of this manifest, relative to the output root. */
  readonly manifestKey: string;
}

/** Exit status the CLI uses, and the outcome the Lambda reports. */
export type ActivationOutcome = 'complete' | 'partial' | 'nothing-usable';

/** complete: every line became an audience; partial: some lines were reported; nothing-usable: no audience. */
export function outcomeOf(manifest: ActivationManifest): ActivationOutcome {
  if (manifest.audiences.length === 0) return 'nothing-usable';
  return manifest.issueCount > 0 ? 'partial' : 'complete';
}

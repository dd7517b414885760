import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import type { CountryCode } from 'libphonenumber-js';
import { getCountries } from 'libphonenumber-js';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { UserFacingError } from '../../core/errors';
import { resolveTrustedIdentities, type IdentitySummary } from '../../core/identity/identity-run';
import { MERGE_RULES } from '../../core/identity/resolve';
import { datasetDefinitions, datasetForKey } from '../../core/ingest/datasets';
import { DEFAULT_MAX_BAD_SHARE, type IngestOutcome } from '../../core/ingest/ingest-file';
import { ingestInWorkers, ingestLocalFile } from '../ingest-files';
import { localSuppression } from '../privacy-suppression';
import { formatTable, n } from '../table';
import type { RegisterCommand } from './index';

/**
 * `cdp ingest <folder> --out <dir>`: the ingestion and identity workflows of the cloud, on a folder
 * laid out like the landing zone. Writes `<dir>/trusted/…`, `<dir>/quarantine/…` and
 * `<dir>/trusted/identity/…` as the cloud does.
 *
 * Exit status: 0 when every file was ingested whole; 2 when rows were quarantined; 1 when a file
 * was rejected (or nothing could be ingested).
 */

export interface IngestOptions {
  readonly out: string;
  readonly maxBadShare: number;
  readonly phoneRegion: CountryCode;
  /** The ingest date partition; default today (UTC). */
  readonly ingestDate?: string;
  /** Skip identity resolution. */
  readonly identity?: boolean;
  /**
   * Ingest only these datasets (by name, e.g. `crm/customers`); files of the others are left
   * alone and listed in `ignored`, like files no dataset declares. Default: every dataset.
   */
  readonly datasets?: ReadonlySet<string>;
  /** Files ingested at once, each on its own worker thread (default 1: one after the other, in this thread). */
  readonly workers?: number;
}

export interface Console {
  log(line: string): void;
  error(line: string): void;
}

export interface IngestRun {
  readonly status: 0 | 1 | 2;
  readonly outcomes: readonly IngestOutcome[];
  readonly identity?: IdentitySummary;
  /** Files in the folder that no dataset declares (left alone). */
  readonly ignored: readonly string[];
}

export const registerIngest: RegisterCommand = (program) => {
  program
    .command('ingest')
    .description(
      'Validate, de-duplicate and stitch the identities of a folder laid out like the landing zone (crm/, store/, web/, personalize/, pinpoint/).',
    )
    .argument('<folder>', 'the landing folder, e.g. data/sample')
    .requiredOption('--out <dir>', 'where trusted/ and quarantine/ are written')
    .option(
      '--max-bad-share <percent>',
      'reject a file whose share of bad rows is above this',
      percentOf,
      100 * DEFAULT_MAX_BAD_SHARE,
    )
    .option('--phone-region <code>', 'region of phone numbers written without a country code', regionOf, 'US')
    .option('--ingest-date <date>', 'the ingest_date partition, YYYY-MM-DD (default: today, UTC)')
    .option('--no-identity', 'skip identity resolution')
    .option('--workers <n>', 'files ingested at once, one worker thread each', countOf, 1)
    .action(async (folder: string, options: IngestOptions & { maxBadShare: number }) => {
      const run = await ingestFolder(folder, { ...options, maxBadShare: options.maxBadShare / 100 }, console);
      process.exitCode = run.status;
    });
};

function percentOf(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !(percent >= 0 && percent <= 100))
    throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return percent;
}

function countOf(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return count;
}

function regionOf(value: string): CountryCode {
  const region = value.toUpperCase();
  if (!(getCountries() as string[]).includes(region)) {
    throw new InvalidArgumentError('expected a two-letter country code, such as US, GB or DE');
  }
  return region as CountryCode;
}

/** Runs ingestion on every dataset file of the folder, then identity; prints a summary. */
export async function ingestFolder(folder: string, options: IngestOptions, out: Console): Promise<IngestRun> {
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    throw new UserFacingError(`${folder}: no such folder`);
  }
  const ingestDate = options.ingestDate ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ingestDate))
    throw new UserFacingError(`--ingest-date ${ingestDate}: expected YYYY-MM-DD`);
  const landing = new LocalObjectStore({ root: folder });
  const zones = new LocalObjectStore({ root: options.out });
  const definitions = datasetDefinitions({ defaultRegion: options.phoneRegion });

  const files: { key: string; size: number; order: number }[] = [];
  const ignored: string[] = [];
  for await (const object of landing.list('')) {
    const dataset = datasetForKey(object.key, definitions);
    if (dataset && (!options.datasets || options.datasets.has(dataset.name)))
      files.push({ key: object.key, size: object.size, order: definitions.indexOf(dataset) });
    else ignored.push(object.key);
  }
  if (files.length === 0) {
    const known = definitions.map((d) => d.landingExample).join(', ');
    throw new UserFacingError(`${folder}: no dataset file found; files land as ${known}`);
  }
  files.sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : 1));

  const jobs = files.map((file) => ({
    folder,
    out: options.out,
    key: file.key,
    size: file.size,
    ingestDate,
    maxBadShare: options.maxBadShare,
    phoneRegion: options.phoneRegion,
  }));
  let outcomes: IngestOutcome[];
  if ((options.workers ?? 1) > 1 && jobs.length > 1) {
    // Files side by side on worker threads; progress is one line per finished file.
    outcomes = await ingestInWorkers(jobs, options.workers!, (job, outcome) =>
      out.log(`ingested ${job.key}: ${outcome.status}`),
    );
  } else {
    // Subjects erased by `cdp privacy erase` on this tree stay out (its salt hashes the list).
    const suppression = (await localSuppression(zones, options.out)) ?? null;
    outcomes = [];
    for (const job of jobs) {
      const bar = progressBar(job.key, job.size);
      try {
        outcomes.push(await ingestLocalFile(job, { onProgress: (bytes) => bar?.update(bytes), suppression }));
      } finally {
        bar?.update(job.size);
        bar?.stop();
      }
    }
  }
  const identity = options.identity === false ? undefined : await resolveTrustedIdentities(zones);
  report(outcomes, identity, options.out, out);

  const rejected = outcomes.some((o) => o.status === 'rejected');
  const quarantined = outcomes.some((o) => o.status !== 'already-ingested' && o.bad > 0);
  return { status: rejected ? 1 : quarantined ? 2 : 0, outcomes, identity, ignored };
}

function progressBar(label: string, total: number): SingleBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: `${label.slice(-28).padEnd(28)} [{bar}] {percentage}% | {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(Math.max(total, 1), 0);
  return bar;
}

function report(
  outcomes: readonly IngestOutcome[],
  identity: IdentitySummary | undefined,
  dir: string,
  out: Console,
): void {
  const rows = outcomes.map((o) =>
    o.status === 'already-ingested'
      ? [o.key, o.dataset, '', '', '', '', 'already ingested (same content)']
      : [
          o.key,
          o.dataset ?? '?',
          n(o.rowsIn),
          n(o.good),
          n(o.bad),
          n(o.duplicates),
          o.status === 'rejected' ? 'REJECTED' : o.bad > 0 ? 'ingested, rows quarantined' : 'ingested',
        ],
  );
  for (const line of formatTable(
    ['file', 'dataset', 'rows in', 'good', 'bad', 'duplicates', 'result'],
    rows,
    new Set([2, 3, 4, 5]),
  )) {
    out.log(line);
  }
  // A count only: who was erased is never printed.
  const suppressed = outcomes.reduce((sum, o) => sum + ('suppressed' in o ? (o.suppressed ?? 0) : 0), 0);
  if (suppressed > 0)
    out.log(`Suppressed: ${n(suppressed)} row(s) of erased people dropped (privacy/suppressed/)`);
  for (const o of outcomes) {
    if (o.status === 'already-ingested') continue;
    if (o.status === 'rejected') out.error(`rejected: ${o.reason}`);
    for (const problem of o.firstProblems) {
      out.error(
        `${o.key} line ${problem.line}${problem.column ? `, ${problem.column}` : ''}: ${problem.reason}`,
      );
    }
    const more = o.bad - o.firstProblems.length;
    if (o.report) out.error(`${more > 0 ? `… and more; ` : ''}every problem: ${path.join(dir, o.report)}`);
  }
  if (!identity) return;
  const merges = MERGE_RULES.map((rule) => `${rule} ${n(identity.merges[rule])}`).join(', ');
  out.log(
    `Identity: ${n(identity.records)} records (crm ${n(identity.bySource.crm)}, store ${n(identity.bySource.store)}, web ${n(identity.bySource.web)}) -> ${n(identity.profiles)} profiles`,
  );
  out.log(`  merges by rule: ${merges}`);
  out.log(`  pairs for review: ${n(identity.reviewPairs)} (${path.join(dir, identity.outputs.review)})`);
  if (identity.keptIds > 0)
    out.log(`  profiles that kept their ID from the last run: ${n(identity.keptIds)}`);
  out.log(`Trusted zone: ${path.join(dir, 'trusted')}`);
}

import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option } from 'commander';
import {
  type ActivationManifest,
  type AudienceSink,
  buildAudiences,
  objectStoreSink,
  type EndpointExportStats,
  type EndpointIndex,
  type KeyMode,
  outcomeOf,
  readEndpointExport,
} from '../../core/activation';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { UserFacingError } from '../../core/errors';
import type { RegisterCommand } from './index';
import { formatTable, n } from '../table';

/**
 * `cdp to-pinpoint`: the activation step of the cloud, on a local batch segment output file.
 *
 * Exit status: 0 when every line became an audience; 2 when some lines were reported (bad JSON,
 * Personalize errors, queries without users, …) but audiences were written; 1 when nothing usable
 * came out (then nothing at all is written in --out), or the input is missing. Scripts can tell
 * "check the report" (2) from "failed" (1).
 */

export interface ToPinpointOptions {
  readonly out: string;
  readonly key: KeyMode;
  readonly endpoints?: readonly string[];
  readonly holdout: number;
  readonly job?: string;
}

/** Where the CLI prints; the tests capture it. */
export interface Console {
  log(line: string): void;
  error(line: string): void;
}

export const registerToPinpoint: RegisterCommand = (program) => {
  program
    .command('to-pinpoint')
    .description(
      'Turn Amazon Personalize batch segment output (<input>.out) into Pinpoint segment import files, one per query.',
    )
    .argument('<file.out>', 'the batch segment job output: JSON lines, one query each')
    .requiredOption('--out <dir>', 'folder for the audience CSV files and manifest.json')
    .addOption(
      new Option('--key <mode>', 'the ID in the import files: User.UserId, or endpoint Id')
        .choices(['userId', 'endpointId'])
        .default('userId'),
    )
    .option(
      '--endpoints <paths...>',
      'Pinpoint endpoint export files (gzipped JSON lines) or folders of them; needed by --key endpointId',
    )
    .option(
      '--holdout <percent>',
      'share of each audience kept out as a control group (0 to < 100)',
      percentOf,
      0,
    )
    .option(
      '--job <name>',
      'the batch segment job name, part of every audience name (default: from the file name)',
    )
    .action(async (file: string, options: ToPinpointOptions) => {
      process.exitCode = await toPinpoint(file, options, console);
    });
};

function percentOf(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent >= 100) {
    throw new InvalidArgumentError('expected a percentage from 0 to below 100');
  }
  return percent;
}

/** Runs the command and returns its exit status. */
export async function toPinpoint(file: string, options: ToPinpointOptions, out: Console): Promise<number> {
  const size = await fileSize(file);
  if (options.key === 'endpointId' && !options.endpoints?.length) {
    throw new UserFacingError(
      '--key endpointId needs --endpoints <export files>: the Pinpoint endpoint export that maps users to endpoints',
    );
  }
  if (options.key === 'userId' && options.endpoints?.length) {
    throw new UserFacingError('--endpoints is only used with --key endpointId');
  }
  let endpointIndex: EndpointIndex | undefined;
  let endpointExport: EndpointExportStats | undefined;
  if (options.key === 'endpointId') {
    ({ index: endpointIndex, stats: endpointExport } = await loadEndpoints(options.endpoints!));
    out.log(
      `Endpoint export: ${n(endpointExport.endpoints)} endpoints of ${n(endpointExport.users)} users (${n(endpointExport.endpointsWithoutUser)} without a user ID, left out)`,
    );
    for (const issue of endpointExport.issues.slice(0, 10))
      out.error(`${issue.file} line ${issue.line}: ${issue.reason}`);
  }
  const bar = progressBar('audiences', size);
  const manifest = await buildAudiences(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    folderSink(options.out),
    {
      jobName: options.job ?? jobNameOf(file),
      source: file,
      keyMode: options.key,
      endpointIndex,
      endpointExport,
      holdoutPercent: options.holdout,
      manifestWhenNothingUsable: false,
      onProgress: (bytes) => bar?.update(bytes),
    },
  ).finally(() => bar?.stop());
  report(manifest, options, out);
  const outcome = outcomeOf(manifest);
  return outcome === 'complete' ? 0 : outcome === 'partial' ? 2 : 1;
}

/** `weekly-genres.json.out` → `weekly-genres`. */
export function jobNameOf(file: string): string {
  return path.basename(file).replace(/(\.json)?(\.out)?$/i, '') || 'job';
}

async function fileSize(file: string): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UserFacingError(`${file}: no such file`);
  return info.size;
}

async function loadEndpoints(
  paths: readonly string[],
): Promise<{ index: EndpointIndex; stats: EndpointExportStats }> {
  const files: { file: string; size: number }[] = [];
  for (const entry of paths) {
    const info = await stat(entry).catch(() => undefined);
    if (!info) throw new UserFacingError(`${entry}: no such file or folder`);
    if (info.isDirectory()) {
      for (const name of (await readdir(entry)).sort()) {
        const file = path.join(entry, name);
        const inner = await stat(file);
        if (inner.isFile()) files.push({ file, size: inner.size });
      }
    } else {
      files.push({ file: entry, size: info.size });
    }
  }
  if (files.length === 0) throw new UserFacingError(`${paths.join(', ')}: no endpoint export file`);
  const bar = progressBar(
    'endpoints',
    files.reduce((total, f) => total + f.size, 0),
  );
  try {
    return await readEndpointExport(
      files.map(({ file }) => ({ name: file, bytes: createReadStream(file, { highWaterMark: 1 << 20 }) })),
      { onProgress: (bytes) => bar?.update(bytes) },
    );
  } finally {
    bar?.stop();
  }
}

/** A progress bar of bytes read, on stderr, only when stderr is a terminal. */
function progressBar(label: string, total: number): SingleBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: `${label.padEnd(9)} [{bar}] {percentage}% | {value}/{total} bytes | {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return bar;
}

function report(manifest: ActivationManifest, options: ToPinpointOptions, out: Console): void {
  const rows = manifest.audiences.map((a) => [
    a.name,
    n(a.size),
    n(a.holdoutSize),
    n(a.unresolvedUsers),
    path.join(options.out, a.files.import),
  ]);
  const header = [
    'audience',
    manifest.keyMode === 'endpointId' ? 'users reached' : 'users',
    'holdout',
    'unresolved',
    'file',
  ];
  if (rows.length > 0) for (const line of formatTable(header, rows, new Set([1, 2, 3]))) out.log(line);
  const t = manifest.totals;
  out.log(
    `${n(t.audiences)} audience(s) from ${n(t.lines)} line(s): ${n(t.targetedUsers)} users targeted` +
      (manifest.keyMode === 'endpointId' ? ` (${n(t.endpoints)} endpoints)` : '') +
      `, ${n(t.holdoutUsers)} held out, ${n(t.duplicateUsers)} duplicates dropped` +
      (manifest.keyMode === 'endpointId' ? `, ${n(t.unresolvedUsers)} without an endpoint` : ''),
  );
  if (manifest.audiences.length > 0) out.log(`Manifest: ${path.join(options.out, manifest.manifestKey)}`);
  for (const issue of manifest.issues.slice(0, 20)) {
    out.error(`${manifest.source} line ${issue.line}: ${issue.reason}${issue.skipped ? ' (skipped)' : ''}`);
  }
  if (manifest.issueCount > 20)
    out.error(`… and ${n(manifest.issueCount - 20)} more; all are listed in the manifest`);
  if (manifest.audiences.length === 0)
    out.error(
      `No audience was written, and no manifest: ${manifest.source} does not look like batch segment output.`,
    );
}

/**
 * The CLI's AudienceSink: files under a folder, through the same ObjectStore port the Lambda uses
 * on S3. The folder store writes each file aside and renames it when complete, so a failed or
 * discarded audience never leaves a file that looks whole.
 */
export function folderSink(root: string): AudienceSink {
  return objectStoreSink(new LocalObjectStore({ root }));
}

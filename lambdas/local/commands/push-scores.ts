import { SingleBar } from 'cli-progress';
import { Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { ObjectStoreKeptBatches } from '../../adapters/object-store-kept-batches';
import { fileScoreSource } from '../../adapters/score-sources';
import { UserFacingError } from '../../core/errors';
import { describeStop, PushCursorFile, type SavedPush } from '../push-cursor';
import { syncScores } from '../../core/segment/sync-scores';
import type { PropensityModel } from '../../core/segment/types';
import type { RegisterCommand } from './index';
import { addSegmentOptions, formatCounts, sinkFromOptions, type SegmentCliOptions } from './segment-cli';

interface PushScoresOptions extends SegmentCliOptions {
  readonly model?: PropensityModel;
  readonly run: string;
  readonly scoredAt?: string;
  readonly failedDir: string;
  readonly resume?: boolean;
  readonly restart?: boolean;
}

/** The exit code of a push stopped by SIGINT or SIGTERM, as a shell reports Ctrl-C. */
const INTERRUPTED = 130;

/** `cdp push-scores`: the Segment sync of the cloud, on local score files. */
export const registerPushScores: RegisterCommand = (program) => {
  const command = program
    .command('push-scores')
    .description('Push propensity scores (customer_id,score CSV) to Twilio Segment as identify traits.')
    .argument('<scores.csv...>', 'score files, one model each')
    .addOption(
      new Option('--model <model>', 'the model of every file (default: from each file name)').choices([
        'churn',
        'repurchase',
      ]),
    )
    .requiredOption(
      '--run <id>',
      'the scoring run: part of every messageId, so re-pushing the same scores is de-duplicated',
    )
    .option('--scored-at <time>', 'when the scores were computed, ISO 8601 (default: now)')
    .option('--failed-dir <dir>', 'where batches that could not be delivered are kept', 'segment-failed')
    .addOption(
      new Option('--resume', 'continue an interrupted push of this run from its cursor').conflicts('restart'),
    )
    .option('--restart', 'push the whole run again, discarding the cursor of an interrupted push');
  addSegmentOptions(command).action(async (files: string[], options: PushScoresOptions) => {
    const cursorFile = new PushCursorFile(options.failedDir, options.run);
    const resume = await resumeOf(cursorFile, files, options);
    const sources = await Promise.all(
      files.map(async (file) =>
        fileScoreSource(await existing(file), options.model ?? modelOf(file), path.basename(file)),
      ),
    );
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    const scoredAt = resume?.scoredAt ?? scoredAtOf(options.scoredAt);
    const sink = sinkFromOptions(options);
    const invalid = invalidRowsWriter(options.failedDir, options.run, resume !== undefined);
    const stop = stopOnSignal();
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format: 'pushing [{bar}] {percentage}% | sent {sent} | failed {failed}',
          stream: process.stderr,
        })
      : undefined;
    bar?.start(
      sizes.reduce((a, b) => a + b, 0),
      0,
      { sent: 0, failed: 0 },
    );
    const result = await syncScores({
      run: options.run,
      scoredAt,
      sources,
      sink,
      kept: new ObjectStoreKeptBatches({ store: new LocalObjectStore({ root: options.failedDir }) }),
      window: sink.concurrency * 2,
      shouldStop: () => stop.requested,
      ...(resume ? { cursor: resume.cursor } : {}),
      onInvalidRow: (row) => invalid.write([row.source, row.line, row.reason]),
      onProgress: ({ source, byte, counts }) =>
        bar?.update(sizes.slice(0, source).reduce((a, b) => a + b, 0) + byte, {
          sent: counts.sent,
          failed: counts.failed,
        }),
    }).finally(() => {
      bar?.stop();
      stop.dispose();
    });
    await invalid.end();
    console.log(
      `Run ${options.run}: ${sink.requests.toLocaleString('en-US')} requests\n${formatCounts(result.counts)}`,
    );
    if (result.invalidRows > 0) {
      for (const row of result.invalidRowSamples.slice(0, 10))
        console.error(`${row.source} line ${row.line}: ${row.reason}`);
      console.error(
        `${result.invalidRows} invalid row(s) were not pushed; all are listed in ${invalid.file}`,
      );
    }
    if (sink.unreachableReason) console.error(sink.unreachableReason);
    if (result.counts.keptForReplay > 0) {
      console.error(
        `${result.counts.keptForReplay} event(s) kept in ${path.join(options.failedDir, 'failed', encodeURIComponent(options.run))}: fix the cause, then run \`cdp replay ${options.failedDir}\``,
      );
    }
    if (!result.done) {
      const saved = { run: options.run, files, scoredAt, cursor: result.cursor! };
      await cursorFile.save(saved);
      console.error(
        `Interrupted at ${describeStop(saved)}: the batches in flight were delivered or kept; the cursor is in ${cursorFile.file}.\n` +
          `To continue: ${resumeCommand(files, options)}`,
      );
      process.exitCode = INTERRUPTED;
      return;
    }
    await cursorFile.remove();
    if (result.counts.failed > 0 || result.invalidRows > 0) process.exitCode = 1;
  });
};

/** The saved push to continue, or undefined to start from the top; refuses to guess between the two. */
async function resumeOf(
  cursorFile: PushCursorFile,
  files: readonly string[],
  options: PushScoresOptions,
): Promise<SavedPush | undefined> {
  // --restart does not even read the cursor: a damaged one must not block starting over.
  if (options.restart) return undefined;
  const saved = await cursorFile.read();
  if (options.resume) {
    if (!saved) throw new UserFacingError(`--resume: run ${options.run} has no cursor (${cursorFile.file})`);
    if (saved.files.join('\0') !== files.join('\0')) {
      throw new UserFacingError(
        `--resume: run ${options.run} was started with ${saved.files.join(' ')}; resume it with the same files`,
      );
    }
    return saved;
  }
  if (saved) {
    throw new UserFacingError(
      `run ${options.run} was interrupted at ${describeStop(saved)}: add --resume to continue from there, ` +
        'or --restart to push the whole run again (Segment de-duplicates what was already sent)',
    );
  }
  return undefined;
}

/**
 * The first SIGINT or SIGTERM asks the push to stop between rows: the batches in flight finish
 * (delivered or kept) and a cursor is written. A second one stops at once, without a cursor.
 */
function stopOnSignal(): { readonly requested: boolean; dispose(): void } {
  let requested = false;
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    // One Ctrl-C under `npx` arrives more than once: the terminal signals the whole process group
    // and npm forwards it to its child as well. Only a signal a second later is a second request.
    if (requested && Date.now() - firstAt < 1_000) return;
    if (requested) {
      console.error(`${signal} again: stopping now; no cursor is written, so a re-run starts from the top.`);
      process.exit(INTERRUPTED);
    }
    requested = true;
    firstAt = Date.now();
    console.error(
      `${signal}: finishing the batches in flight, then saving a cursor (again to stop at once)…`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The command line that continues the push, with the options that change where it goes. */
function resumeCommand(files: readonly string[], options: PushScoresOptions): string {
  const args = ['cdp', 'push-scores', ...files, '--run', options.run];
  if (options.model) args.push('--model', options.model);
  if (options.failedDir !== 'segment-failed') args.push('--failed-dir', options.failedDir);
  if (options.endpoint) args.push('--endpoint', options.endpoint);
  else if (options.region !== 'us') args.push('--region', options.region);
  if (options.writeKeyEnv !== 'SEGMENT_WRITE_KEY') args.push('--write-key-env', options.writeKeyEnv);
  args.push('--resume');
  return args
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`))
    .join(' ');
}

async function existing(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UserFacingError(`${file}: no such file`);
  return file;
}

/** churn or repurchase, from a file name such as `churn-scores.csv`. */
function modelOf(file: string): PropensityModel {
  const name = path.basename(file).toLowerCase();
  const models = (['churn', 'repurchase'] as const).filter((model) => name.includes(model));
  if (models.length !== 1)
    throw new UserFacingError(
      `${file}: cannot tell the model from the file name; pass --model churn or --model repurchase`,
    );
  return models[0]!;
}

function scoredAtOf(value: string | undefined): string {
  if (value === undefined) return new Date().toISOString();
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UserFacingError(`--scored-at '${value}' is not an ISO 8601 time`);
  return new Date(time).toISOString();
}

/**
 * Every invalid row of the run, as CSV in `<failed-dir>/invalid-rows/<run>.csv`, created on the
 * first one; a resumed push adds to the report of the part already pushed.
 */
function invalidRowsWriter(failedDir: string, run: string, resuming: boolean) {
  const file = path.join(failedDir, 'invalid-rows', `${encodeURIComponent(run)}.csv`);
  let stream: WriteStream | undefined;
  return {
    file,
    write(row: [string, number, string]): void {
      if (!stream) {
        mkdirSync(path.dirname(file), { recursive: true });
        const adding = resuming && existsSync(file);
        stream = createWriteStream(file, { flags: adding ? 'a' : 'w' });
        if (!adding) stream.write('source,line,reason\n');
      }
      stream.write(stringify([row]));
    },
    end: () => new Promise<void>((resolve) => (stream ? stream.end(resolve) : resolve())),
  };
}

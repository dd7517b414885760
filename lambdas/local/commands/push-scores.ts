import { SingleBar } from 'cli-progress';
import { Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { ObjectStoreKeptBatches } from '../../adapters/object-store-kept-batches';
import { fileScoreSource } from '../../adapters/score-sources';
import { UserFacingError } from '../../core/errors';
import { syncScores } from '../../core/segment/sync-scores';
import type { PropensityModel } from '../../core/segment/types';
import type { RegisterCommand } from './index';
import { addSegmentOptions, formatCounts, sinkFromOptions, type SegmentCliOptions } from './segment-cli';

interface PushScoresOptions extends SegmentCliOptions {
  readonly model?: PropensityModel;
  readonly run: string;
  readonly scoredAt?: string;
  readonly failedDir: string;
}

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
    .option('--failed-dir <dir>', 'where batches that could not be delivered are kept', 'segment-failed');
  addSegmentOptions(command).action(async (files: string[], options: PushScoresOptions) => {
    const sources = await Promise.all(
      files.map(async (file) =>
        fileScoreSource(await existing(file), options.model ?? modelOf(file), path.basename(file)),
      ),
    );
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    const scoredAt = scoredAtOf(options.scoredAt);
    const sink = sinkFromOptions(options);
    const invalid = invalidRowsWriter(options.failedDir, options.run);
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
      onInvalidRow: (row) => invalid.write([row.source, row.line, row.reason]),
      onProgress: ({ source, byte, counts }) =>
        bar?.update(sizes.slice(0, source).reduce((a, b) => a + b, 0) + byte, {
          sent: counts.sent,
          failed: counts.failed,
        }),
    }).finally(() => bar?.stop());
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
    if (result.counts.keptForReplay > 0) {
      console.error(
        `${result.counts.keptForReplay} event(s) kept in ${path.join(options.failedDir, 'failed', encodeURIComponent(options.run))}: fix the cause, then run \`cdp replay ${options.failedDir}\``,
      );
    }
    if (result.counts.failed > 0 || result.invalidRows > 0) process.exitCode = 1;
  });
};

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

/** Every invalid row of the run, as CSV in `<failed-dir>/invalid-rows/<run>.csv`, created on the first one. */
function invalidRowsWriter(failedDir: string, run: string) {
  const file = path.join(failedDir, 'invalid-rows', `${encodeURIComponent(run)}.csv`);
  let stream: WriteStream | undefined;
  return {
    file,
    write(row: [string, number, string]): void {
      if (!stream) {
        mkdirSync(path.dirname(file), { recursive: true });
        stream = createWriteStream(file);
        stream.write('source,line,reason\n');
      }
      stream.write(stringify([row]));
    },
    end: () => new Promise<void>((resolve) => (stream ? stream.end(resolve) : resolve())),
  };
}

import { InvalidArgumentError } from 'commander';
import type { CountryCode } from 'libphonenumber-js';
import { runPipeline, STAGES, summaryLines, type StageName } from '../run/run-pipeline';
import type { RegisterCommand } from './index';

interface RunCliOptions {
  readonly out: string;
  readonly run?: string;
  readonly stages: StageName[];
  readonly holdout: number;
  readonly maxBadShare: number;
  readonly phoneRegion: CountryCode;
  readonly json?: boolean;
}

/**
 * `cdp run <folder>`: the whole pipeline offline, on the same core as the Lambdas. Exit 0 only when
 * every stage succeeded; 1 when one failed (its file, line and reason are printed).
 */
export const registerRun: RegisterCommand = (program) => {
  program
    .command('run')
    .description(
      'Run the whole pipeline offline on a folder laid out like the landing zone (data/sample is one).',
    )
    .argument('<folder>', 'the landing folder')
    .option('--out <dir>', 'where each run gets its folder', 'out')
    .option('--run <id>', 'the run id, and its folder name (default: run-<UTC date and time>)')
    .option('--stages <list>', `a subset of ${STAGES.join(',')}`, stagesOf, [...STAGES])
    .option('--holdout <percent>', 'share of each audience kept out as a control group', percentOf, 10)
    .option('--max-bad-share <percent>', 'reject a file whose share of bad rows is above this', percentOf, 5)
    .option('--phone-region <code>', 'region of phone numbers written without a country code', 'US')
    .option('--json', 'print a machine-readable summary instead of the table')
    .action(async (folder: string, options: RunCliOptions) => {
      const run =
        options.run ?? `run-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
      const summary = await runPipeline(folder, {
        out: options.out,
        run,
        stages: options.stages,
        holdoutPercent: options.holdout,
        maxBadShare: options.maxBadShare / 100,
        phoneRegion: options.phoneRegion.toUpperCase() as CountryCode,
        progress: !options.json && Boolean(process.stderr.isTTY),
      });
      if (options.json) console.log(JSON.stringify(summary, null, 2));
      else {
        const { out, err } = summaryLines(summary);
        for (const line of err) console.error(line);
        for (const line of out) console.log(line);
      }
      process.exitCode = summary.ok ? 0 : 1;
    });
};

function stagesOf(value: string): StageName[] {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(STAGES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(
      `unknown stage(s) ${unknown.join(', ')}; the stages are ${STAGES.join(', ')}`,
    );
  }
  return names as StageName[];
}

function percentOf(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !(percent >= 0 && percent < 100))
    throw new InvalidArgumentError('expected a percentage from 0 to below 100');
  return percent;
}

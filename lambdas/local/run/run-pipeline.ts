import { SingleBar } from 'cli-progress';
import type { CountryCode } from 'libphonenumber-js';
import { UserFacingError } from '../../core/errors';
import { formatTable } from '../table';
import { type Progress, RunContext, type StageReport } from './run-context';
import { activateStage } from './stages/activate';
import { ingestStage } from './stages/ingest';
import { notifyStage } from './stages/notify';
import { reportStage } from './report/report';
import { preflightStage, type TrainingPlan } from './stages/preflight';
import { scoreStage } from './stages/score';
import { segmentStage } from './stages/segment';
import { syncStage } from './stages/sync';

/** The stages of `cdp run`, in order. Each is the core a cloud workflow runs, on local adapters. */
export const STAGES = [
  'ingest',
  'preflight',
  'segment',
  'activate',
  'score',
  'sync',
  'notify',
  'report',
] as const;
export type StageName = (typeof STAGES)[number];

export interface RunOptions {
  readonly out: string;
  readonly run: string;
  readonly stages: readonly StageName[];
  readonly holdoutPercent: number;
  readonly maxBadShare: number;
  readonly phoneRegion: CountryCode;
  /** Draw progress bars (a terminal) or not (a pipe, a test). */
  readonly progress: boolean;
  readonly now?: () => Date;
}

export interface StageOutcome extends Partial<StageReport> {
  readonly stage: StageName;
  readonly status: 'succeeded' | 'failed';
  readonly seconds: number;
  readonly error?: string;
}

export interface RunSummary {
  readonly run: string;
  readonly folder: string;
  readonly dir: string;
  readonly ok: boolean;
  readonly stages: readonly StageOutcome[];
  readonly events: readonly string[];
}

const TITLES: Record<StageName, string> = {
  ingest: 'ingest and identity',
  preflight: 'Personalize pre-flight',
  segment: 'segmentation (local model)',
  activate: 'activation (audience files)',
  score: 'propensity and win-back',
  sync: 'Segment sync (local endpoint)',
  notify: 'notification (outbox)',
  report: 'report (report.html)',
};

function progressOf(enabled: boolean, stage: StageName): Progress & { stop(): void } {
  let bar: SingleBar | undefined;
  return {
    start(total, unit) {
      if (!enabled) return;
      bar = new SingleBar({
        format: `${TITLES[stage].padEnd(28)} [{bar}] {value}/{total} ${unit}`,
        stream: process.stderr,
        hideCursor: true,
      });
      bar.start(total, 0);
    },
    update: (done) => bar?.update(done),
    stop: () => bar?.stop(),
  };
}

/**
 * Runs the pipeline on a folder laid out like the landing zone, stage by stage, into
 * `<out>/<run>/`. The first stage that fails stops the run: later stages would work on a
 * half-made result. Returns what each stage did; `ok` only when every stage asked for succeeded.
 */
export async function runPipeline(folder: string, options: RunOptions): Promise<RunSummary> {
  const context = new RunContext(folder, options.out, options.run, options.now);
  const outcomes: StageOutcome[] = [];
  const wanted = new Set(options.stages);
  for (const stage of STAGES) {
    if (!wanted.has(stage)) continue;
    const started = performance.now();
    const progress = progressOf(options.progress, stage);
    try {
      const report = await runStage(stage, context, options, progress);
      outcomes.push({ stage, status: 'succeeded', seconds: (performance.now() - started) / 1000, ...report });
    } catch (error) {
      if (!(error instanceof UserFacingError)) throw error;
      outcomes.push({
        stage,
        status: 'failed',
        seconds: (performance.now() - started) / 1000,
        error: error.message,
      });
      break;
    } finally {
      progress.stop();
    }
  }
  const ok = outcomes.length === wanted.size && outcomes.every((o) => o.status === 'succeeded');
  const summary: RunSummary = {
    run: options.run,
    folder,
    dir: context.dir,
    ok,
    stages: outcomes,
    events: context.events.map((e) => e.detailType),
  };
  await context.zones.put('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

async function runStage(
  stage: StageName,
  context: RunContext,
  options: RunOptions,
  progress: Progress,
): Promise<StageReport> {
  switch (stage) {
    case 'ingest':
      return ingestStage(context, { maxBadShare: options.maxBadShare, phoneRegion: options.phoneRegion });
    case 'preflight':
      return preflightStage(context, { maxBadShare: options.maxBadShare });
    case 'segment': {
      const plans = context.facts.get('training') as TrainingPlan[] | undefined;
      if (!plans)
        throw new UserFacingError(
          'segmentation needs the pre-flight stage: run it with --stages preflight,segment',
        );
      const reports = [];
      for (const plan of plans) reports.push(await segmentStage(context, plan, progress));
      return {
        summary: reports.map((r) => r.summary).join('; '),
        counts: reports[0]?.counts,
        warnings: reports.flatMap((r) => r.warnings ?? []),
      };
    }
    case 'activate':
      return activateStage(context, { holdoutPercent: options.holdoutPercent });
    case 'score':
      return scoreStage(context, { holdoutPercent: options.holdoutPercent });
    case 'sync':
      return syncStage(context, progress);
    case 'notify':
      return notifyStage(context);
    case 'report':
      return reportStage(context);
  }
}

/** The summary table and the warnings, as `cdp run` prints them. */
export function summaryLines(summary: RunSummary): { out: string[]; err: string[] } {
  const rows = summary.stages.map((s) => [
    TITLES[s.stage],
    s.status === 'succeeded' ? 'ok' : 'FAILED',
    `${s.seconds.toFixed(1)} s`,
    s.status === 'succeeded' ? (s.summary ?? '') : '',
  ]);
  const out = formatTable(['stage', 'result', 'time', 'what it did'], rows, new Set([2]));
  const err: string[] = [];
  for (const s of summary.stages) {
    for (const warning of s.warnings ?? []) err.push(`warning: ${warning}`);
    if (s.error) err.push(`error: ${TITLES[s.stage]}: ${s.error}`);
  }
  out.push(
    summary.ok
      ? `Run ${summary.run}: every stage succeeded. Output: ${summary.dir}/ (open report.html, and outbox/ for the emails)`
      : `Run ${summary.run} FAILED: nothing after the failed stage ran. Partial output in ${summary.dir}/ is not a result.`,
  );
  return { out, err };
}

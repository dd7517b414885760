import { Option, type Command } from 'commander';
import { UserFacingError } from '../../core/errors';
import { SegmentHttpSink, type SegmentRegion } from '../../adapters/segment-http-sink';
import type { SyncCounts } from '../../core/segment/types';

/** The options `push-scores` and `replay` share: where Segment is and how to authenticate. */
export interface SegmentCliOptions {
  readonly endpoint?: string;
  readonly region: SegmentRegion;
  readonly writeKeyEnv: string;
  readonly concurrency: string;
  readonly rate: string;
  readonly retries: string;
}

export function addSegmentOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--region <region>', "the workspace's region, which picks the endpoint")
        .choices(['us', 'eu'])
        .default('us'),
    )
    .option('--endpoint <url>', 'send to this base URL instead (e.g. the local sink)')
    .option('--write-key-env <VAR>', 'the environment variable holding the write key', 'SEGMENT_WRITE_KEY')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .option('--rate <n>', 'most requests started per second', '200')
    .option('--retries <n>', 'retries of a batch after a 429, a 5xx or a network error', '10');
}

/** The HTTP sink the options describe. The key is read from the environment, never from the command line (shell history). */
export function sinkFromOptions(options: SegmentCliOptions): SegmentHttpSink {
  const writeKey = process.env[options.writeKeyEnv];
  if (!writeKey) {
    throw new UserFacingError(
      `no Segment write key: set the environment variable ${options.writeKeyEnv} (or name another with --write-key-env)`,
    );
  }
  const shownRetries = new Set<string>();
  return new SegmentHttpSink({
    writeKey,
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    concurrency: positive(options.concurrency, '--concurrency'),
    requestsPerSecond: positive(options.rate, '--rate'),
    retry: { retries: positive(options.retries, '--retries', 0) },
    onRetry: ({ reason }) => {
      // Shown at once (a dead endpoint must not mean minutes of silence), each kind of failure once.
      if (shownRetries.size >= 5 || shownRetries.has(reason)) return;
      shownRetries.add(reason);
      console.error(`retrying: ${reason}`);
    },
  });
}

/** The counts as aligned lines for the summary: events, except retries, which are requests. */
export function formatCounts(counts: SyncCounts): string {
  const rows: [string, number][] = [
    ['sent', counts.sent],
    ['retry requests', counts.retried],
    ['failed', counts.failed],
    ['kept for replay', counts.keptForReplay],
  ];
  return rows.map(([label, value]) => `  ${label.padEnd(16)}${value.toLocaleString('en-US')}`).join('\n');
}

function positive(value: string, flag: string, least = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < least)
    throw new UserFacingError(`${flag} must be a whole number of at least ${least}, not '${value}'`);
  return number;
}

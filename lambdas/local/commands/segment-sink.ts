import { once } from 'node:events';
import { InvalidArgumentError, Option } from 'commander';
import { startSegmentSink, type SegmentSink } from '../segment-sink';
import type { RegisterCommand } from './index';

interface SinkCommandOptions {
  readonly port: number;
  readonly writeKey: string;
  readonly errorRate: number;
  readonly rateLimitRate: number;
  readonly resetRate?: number;
  readonly slowRate?: number;
  readonly slowMs?: number;
}

const rate = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1))
    throw new InvalidArgumentError(`${name} must be a share from 0 to 1, e.g. 0.2`);
  return parsed;
};

const milliseconds = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('--slow-ms must be a whole number of milliseconds');
  return parsed;
};

/** Starts the local sink and prints how to point `cdp push-scores` at it. */
export async function startSinkCommand(
  options: SinkCommandOptions,
  log: (line: string) => void,
): Promise<SegmentSink> {
  const sink = await startSegmentSink({
    writeKey: options.writeKey,
    port: options.port,
    faults: {
      serverErrorRate: options.errorRate,
      rateLimitRate: options.rateLimitRate,
      retryAfterSeconds: 1,
      resetRate: options.resetRate ?? 0,
      slowRate: options.slowRate ?? 0,
      slowMs: options.slowMs ?? 1_000,
    },
  });
  log(
    `Local Segment sink on ${sink.url} (write key "${options.writeKey}"): it applies Segment's /v1/batch limits and de-duplicates by messageId.`,
  );
  log(
    `Try: SEGMENT_WRITE_KEY=${options.writeKey} cdp push-scores <scores.csv> --run test --endpoint ${sink.url}`,
  );
  return sink;
}

/** `cdp segment-sink`: a local stand-in for Segment's tracking API, to try the sync offline. */
export const registerSegmentSink: RegisterCommand = (program) => {
  program
    .command('segment-sink')
    .description(
      'Run a local Segment /v1/batch endpoint that enforces its limits; Ctrl-C prints what it received.',
    )
    .addOption(
      new Option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)').default(0).argParser(Number),
    )
    .option('--write-key <key>', 'the write key it accepts (a test value, not a real key)', 'local-test-key')
    .addOption(
      new Option('--error-rate <share>', 'share of requests answered 500')
        .default(0)
        .argParser(rate('--error-rate')),
    )
    .addOption(
      new Option('--rate-limit-rate <share>', 'share of requests answered 429 with Retry-After: 1')
        .default(0)
        .argParser(rate('--rate-limit-rate')),
    )
    .addOption(
      new Option(
        '--reset-rate <share>',
        'share of requests whose connection is reset (half after recording the events)',
      )
        .default(0)
        .argParser(rate('--reset-rate')),
    )
    .addOption(
      new Option('--slow-rate <share>', 'share of requests answered only after --slow-ms')
        .default(0)
        .argParser(rate('--slow-rate')),
    )
    .addOption(
      new Option('--slow-ms <ms>', 'how long a slow answer waits').default(1_000).argParser(milliseconds),
    )
    .action(async (options: SinkCommandOptions) => {
      const sink = await startSinkCommand(options, (line) => console.error(line));
      await once(process, 'SIGINT');
      const stats = sink.stats();
      await sink.close();
      console.log(JSON.stringify(stats, null, 2));
    });
};

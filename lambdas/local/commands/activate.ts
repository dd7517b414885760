import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { InvalidArgumentError, Option } from 'commander';
import { CustomerProfilesMembership } from '../../adapters/customer-profiles-membership';
import { LocalObjectStore } from '../../adapters/local-object-store';
import type { ActivationManifest } from '../../core/activation';
import { UserFacingError } from '../../core/errors';
import { activateAudiences, type AudienceOutcome } from '../../core/membership';
import type { FailedChange } from '../../core/ports/audience-membership';
import { FakeCustomerProfiles } from '../fake-customer-profiles';
import type { Console } from './to-pinpoint';
import type { RegisterCommand } from './index';

/**
 * `cdp activate --destination connect-customer-profiles --domain <name> <audience folder>`: applies
 * the audiences `cdp to-pinpoint` wrote to a Customer Profiles domain (credentials and region from
 * the environment), or with `--local <dir>` to the fake (a test/offline double) kept in that folder.
 *
 * Exit status: 0 when every change landed and every segment's size matches; 2 when some changes
 * were kept as failed or a size differs (the report says which); 1 when nothing could be done.
 */

export interface ActivateCliOptions {
  readonly destination: 'connect-customer-profiles';
  readonly domain: string;
  readonly local?: string;
  /** Where the last applied members and the failed changes are kept. */
  readonly state?: string;
  readonly rate: number;
  readonly concurrency: number;
  readonly createProfiles: boolean;
  readonly strategy: 'object-type' | 'search-update';
  readonly tolerance: number;
}

const positive = (what: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`expected a positive ${what}`);
  return number;
};

export const registerActivate: RegisterCommand = (program) => {
  program
    .command('activate')
    .description(
      'Apply an audience folder (the output of to-pinpoint) to a live destination: only the members who changed are written.',
    )
    .argument('<folder>', 'the audience folder: manifest.json and the import CSV files')
    .addOption(
      new Option('--destination <name>', 'where the audiences go')
        .choices(['connect-customer-profiles'])
        .makeOptionMandatory(),
    )
    .requiredOption('--domain <name>', 'the Customer Profiles domain')
    .option('--local <dir>', 'use the local fake of Customer Profiles kept in this folder, not AWS')
    .option(
      '--state <dir>',
      'where the last applied members and the failed changes are kept (default: <local>/state, or ./.cdp-state/<domain>)',
    )
    .option(
      '--rate <n>',
      'profile writes per second at most (the account quota is 100/s, shared)',
      positive('rate'),
      50,
    )
    .option('--concurrency <n>', 'writes in flight at once', positive('number'), 16)
    .option(
      '--create-profiles',
      'create a profile for a user the domain does not know (off: such users are counted, not created)',
      false,
    )
    .addOption(
      new Option('--strategy <how>', 'how the attribute is written')
        .choices(['object-type', 'search-update'])
        .default('object-type'),
    )
    .option(
      '--tolerance <share>',
      'allowed difference between expected and estimated segment size',
      Number,
      0.01,
    )
    .action(async (folder: string, options: ActivateCliOptions) => {
      process.exitCode = await activate(folder, options, console);
    });
};

export async function activate(folder: string, options: ActivateCliOptions, out: Console): Promise<number> {
  const manifest = await readManifest(folder);
  const stateDir =
    options.state ??
    (options.local ? path.join(options.local, 'state') : path.join('.cdp-state', options.domain));
  const fake = options.local
    ? await FakeCustomerProfiles.load(options.local, { domainName: options.domain, estimatePolls: 1 })
    : undefined;
  const client = fake ?? new CustomerProfilesClient({ maxAttempts: 1 });
  const membership = new CustomerProfilesMembership({
    client,
    domainName: options.domain,
    strategy: options.strategy,
    allowProfileCreation: options.createProfiles,
  });
  const failedFile = path.join(stateDir, 'failed', `${manifest.jobName}.jsonl`);
  await mkdir(path.dirname(failedFile), { recursive: true });
  const failed = { keep: (change: FailedChange) => appendFile(failedFile, `${JSON.stringify(change)}\n`) };

  const outcomes = await activateAudiences(
    manifest,
    new LocalObjectStore({ root: folder }),
    new LocalObjectStore({ root: stateDir }),
    membership,
    failed,
    {
      apply: {
        ratePerSecond: options.rate,
        concurrency: options.concurrency,
        maxAttempts: 8,
        baseDelayMs: 200,
        maxDelayMs: 10_000,
        sleep: (ms) => sleep(ms),
        now: () => Date.now(),
        random: Math.random,
      },
      estimate: {
        maxPolls: fake ? 5 : 60,
        pollIntervalMs: fake ? 0 : 5000,
        tolerance: options.tolerance,
        sleep: (ms) => sleep(ms),
      },
    },
    (outcome) => out.log(line(outcome)),
  );
  if (fake) await fake.save(options.local!);

  const failedTotal = outcomes.reduce((sum, o) => sum + o.writes.failed, 0);
  const warnings = outcomes.filter((o) => o.size.status !== 'match');
  for (const o of warnings) out.error(`${o.audienceKey}: ${o.size.warning}`);
  if (failedTotal > 0)
    out.error(
      `${failedTotal} changes failed after their retries; they are in ${failedFile} with the reason of each, and the next run sends them again.`,
    );
  return failedTotal > 0 || warnings.length > 0 ? 2 : 0;
}

function line(o: AudienceOutcome): string {
  const { diff, writes, size } = o;
  return `${o.audienceKey} → segment ${o.segmentName}: ${diff.firstRun ? 'first run, ' : ''}${diff.entering} entered, ${diff.leaving} left, ${diff.staying} unchanged; ${writes.applied} written, ${writes.failed} failed, ${writes.throttled} throttled; expected ${size.expected}, estimated ${size.estimated ?? 'unknown'}`;
}

async function readManifest(folder: string): Promise<ActivationManifest> {
  const file = path.join(folder, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserFacingError(`${file}: no manifest; give the folder that cdp to-pinpoint wrote`);
  });
  try {
    return JSON.parse(text) as ActivationManifest;
  } catch {
    throw new UserFacingError(`${file}: not JSON`);
  }
}

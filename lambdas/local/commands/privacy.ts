import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { InvalidArgumentError } from 'commander';
import type { CountryCode } from 'libphonenumber-js';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { LocalPrivacySalt } from '../../adapters/local-privacy-salt';
import { UserFacingError } from '../../core/errors';
import { type PrivacyOutcome, runPrivacyRequest } from '../../core/privacy/privacy-request';
import { type PrivacyAction, parseSubject } from '../../core/privacy/subject';
import { formatTable, n } from '../table';
import type { Console } from './ingest';
import type { RegisterCommand } from './index';
import { privacyStack } from './privacy-stack';

/**
 * `cdp privacy access|erase <id> --local <dir>`: a privacy request on the output tree of `cdp ingest`
 * or `cdp run`, with the core the privacy workflow runs in AWS. Exit status 0 when done, 1 on error.
 */
export interface PrivacyCliOptions {
  readonly local: string;
  readonly phoneRegion?: CountryCode;
  /** The request ID (default `privacy-<UTC time>-<random>`). */
  readonly request?: string;
  readonly now?: () => Date;
}

export const registerPrivacy: RegisterCommand = (program) => {
  program
    .command('privacy')
    .description(
      "A person's right of access or erasure: 'access' exports every record held about them; 'erase' removes them from every file and suppresses them from future ingestion.",
    )
    .argument('<action>', 'access or erase', actionOf)
    .argument(
      '<ids...>',
      'the person: a customer ID, an email address or a phone number (erase takes several)',
    )
    .option('--local <dir>', 'the output folder of cdp ingest --out or cdp run (out/<run>)')
    .option('--stack <name>', 'a deployed stack (its CloudFormation name): the request runs in AWS')
    .option('--phone-region <code>', 'region of phone numbers written without a country code', 'US')
    .option('--request <id>', 'the request ID (--local only; default: privacy-<time>-<random>)')
    .action(
      async (
        action: PrivacyAction,
        ids: string[],
        options: Partial<PrivacyCliOptions> & { stack?: string },
      ) => {
        if (Boolean(options.local) === Boolean(options.stack))
          throw new UserFacingError('name where the data is: --local <dir> or --stack <name> (one of them)');
        if (action === 'access' && ids.length !== 1)
          throw new UserFacingError('an access request names one person');
        if (options.stack) {
          // Credentials and region come from the environment, as for the AWS CLI.
          const run = await privacyStack(
            action,
            ids,
            {
              stack: options.stack,
              cloudFormation: new CloudFormationClient({}),
              s3: new S3Client({}),
              sfn: new SFNClient({}),
            },
            console,
          );
          process.exitCode = run.status;
          return;
        }
        await privacyLocal(action, ids, { ...options, local: options.local! }, console);
      },
    );
};

function actionOf(value: string): PrivacyAction {
  if (value !== 'access' && value !== 'erase') throw new InvalidArgumentError('expected access or erase');
  return value;
}

export async function privacyLocal(
  action: PrivacyAction,
  ids: readonly string[],
  options: PrivacyCliOptions,
  out: Console,
): Promise<PrivacyOutcome> {
  if (!(await stat(options.local).catch(() => undefined))?.isDirectory()) {
    throw new UserFacingError(`${options.local}: no such folder`);
  }
  const normalise = { defaultRegion: (options.phoneRegion ?? 'US') as CountryCode };
  const now = options.now ?? (() => new Date());
  const store = new LocalObjectStore({ root: options.local });
  const requestId =
    options.request ??
    `privacy-${now().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
  const outcome = await runPrivacyRequest(
    { trusted: store, zones: [{ name: 'output', store }] },
    {
      requestId,
      action,
      subjects: ids.map((id) => parseSubject(id, normalise)),
      salt: await LocalPrivacySalt.of(options.local, { create: action === 'erase' })
        .salt()
        .catch(async (error) => {
          // Access needs a salt for the record's hash too; the first request of a tree creates it.
          if (action === 'access') return LocalPrivacySalt.of(options.local, { create: true }).salt();
          throw error;
        }),
      now,
      normalise,
    },
  );
  const rows = outcome.record.stores.map((s) => [
    s.store,
    s.action,
    n(s.objects ?? 0),
    n(s.rows ?? 0),
    s.status,
  ]);
  for (const line of formatTable(['store', 'action', 'objects', 'rows', 'status'], rows, new Set([2, 3])))
    out.log(line);
  const { io } = outcome;
  out.log(
    `Objects: ${n(io.listed)} listed, ${n(io.read)} read, ${n(io.holding)} held the subject, ${n(io.rewritten)} rewritten, ${n(io.deleted)} deleted`,
  );
  if (outcome.export)
    out.log(
      `Export: ${path.join(options.local, outcome.export.json)} and ${path.join(options.local, outcome.export.markdown)}`,
    );
  if (action === 'erase') out.log('Suppressed: cdp ingest into this folder drops their rows from now on.');
  out.log(`Record (no personal data): ${path.join(options.local, outcome.recordKey)}`);
  return outcome;
}

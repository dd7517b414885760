import { z } from 'zod';
import { causeMessage, describeStepFailure } from '../errors';
import { EVENTS, eventByDetailType, type DetailOf } from '../events/catalog';

/** An email ready for SNS: a subject a marketer understands and a plain-text body. */
export interface Email {
  readonly subject: string;
  readonly body: string;
}

/** The event as EventBridge delivers it, reduced to what the email needs. */
export interface NotifiedEvent {
  readonly detailType: string;
  readonly detail: unknown;
  /** When the event happened (ISO 8601). */
  readonly time: string;
  /** Region of the deployment, for console links. */
  readonly region: string;
}

const number = new Intl.NumberFormat('en-US');
const n = (value: number) => number.format(value);
const plural = (count: number, one: string, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;
const s3Uri = (loc: { bucket: string; key: string }) => `s3://${loc.bucket}/${loc.key}`;

// SNS email subjects must be ASCII, one line, at most 100 characters.
const SUBJECT_LIMIT = 100;
function subjectLine(text: string): string {
  const ascii = text
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length <= SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 3)}...`;
}

function lines(...parts: (string | false | undefined)[]): string {
  return parts.filter((p) => p !== false && p !== undefined).join('\n');
}

const FOOTER =
  '\n--\ncdp-audiences. You get this email because you are subscribed to its notifications topic.';

function audiencesImported(d: DetailOf<typeof EVENTS.audiencesImported>, e: NotifiedEvent): Email {
  const total = d.totalUsers ?? d.audiences.reduce((sum, a) => sum + a.size, 0);
  const count = d.audiences.length + d.moreAudiences;
  const held = d.totalHoldout ?? d.audiences.reduce((sum, a) => sum + a.holdoutSize, 0);
  const where =
    d.destination === 'pinpoint' ? 'in Pinpoint' : d.destination === 's3' ? 'in S3' : 'in Amazon Connect';
  const list = d.audiences.map((a) =>
    lines(
      `* ${a.name}`,
      `    query:    ${a.query}`,
      `    size:     ${n(a.size)} users (hold-out: ${n(a.holdoutSize)})`,
      a.unresolvedUsers > 0 && `    not found in Pinpoint: ${n(a.unresolvedUsers)} users`,
      a.segmentId && `    segment:  ${a.segmentId}`,
      a.consoleUrl && `    console:  ${a.consoleUrl}`,
      a.pinpointImport &&
        `    PARTIAL import: Pinpoint processed ${n(a.pinpointImport.processed)} rows, ${n(a.pinpointImport.failed)} failed`,
      ...(a.pinpointImport?.failedRows ?? []).map((row) => `      - ${row}`),
      ...(a.connect ? connectLines(a.connect) : []),
    ),
  );
  return {
    subject: subjectLine(`${plural(count, 'audience')} ready ${where} (${n(total)} users) - ${d.jobName}`),
    body: lines(
      `The segment job "${d.jobName}" finished at ${e.time} and its audiences are ${where}.`,
      '',
      ...list,
      d.moreAudiences > 0 && `… and ${plural(d.moreAudiences, 'more audience')}, listed in the manifest.`,
      '',
      `Totals: ${plural(count, 'audience')}, ${n(total)} users activated, ${n(held)} held out as control groups.`,
      d.skippedLines > 0 &&
        `${plural(d.skippedLines, 'line')} of the job output could not be used; the manifest lists each with its reason.`,
      `Manifest: ${s3Uri(d.manifest)}`,
      '',
      d.destination === 'pinpoint'
        ? 'Next step: use the segments in a Pinpoint campaign or journey. Compare the results with the hold-out files to measure the lift. Note: Amazon Pinpoint engagement features reached end of support on 30 October 2026; consider the s3 destination and Amazon Connect.'
        : d.destination === 'connect-customer-profiles'
          ? 'Next step: target the segments above in an Amazon Connect outbound campaign. Keep the hold-out users (the hold-out files) out of the campaign to measure the lift.'
          : 'Next step: load the audience files into your activation tool. Keep the hold-out users out of the campaign to measure the lift.',
      FOOTER,
    ),
  };
}

type ConnectSummary = NonNullable<DetailOf<typeof EVENTS.audiencesImported>['audiences'][number]['connect']>;

/** What an email says of an audience in Customer Profiles: the segment's size, the changes, what failed and why. */
function connectLines(c: ConnectSummary): string[] {
  return [
    c.estimated !== undefined
      ? `    ${n(c.estimated)} customers are now in segment ${c.segmentName} (expected ${n(c.expected)})`
      : `    segment:  ${c.segmentName} (expected ${n(c.expected)} customers; no estimate)`,
    `    changes:  ${n(c.entering)} entered, ${n(c.leaving)} left, ${n(c.staying)} unchanged; ${n(c.written)} written, ${n(c.failed)} failed`,
    ...(c.failed > 0
      ? [
          '    PARTIAL: the failed changes are in the membership dead-letter queue with each user ID and error; the next run sends them again. Reasons:',
          ...c.failureReasons.map((r) => `      - ${r}`),
        ]
      : []),
    ...(c.sizeCheck !== 'match' && c.warning ? [`    WARNING: ${c.warning}`] : []),
  ];
}

function audienceImportFailed(d: DetailOf<typeof EVENTS.audienceImportFailed>): Email {
  return {
    subject: subjectLine(`Audience import failed - ${d.jobName}`),
    body: lines(
      `The audiences of the segment job "${d.jobName}" could not all be imported.`,
      '',
      `Reason: ${d.reason}`,
      d.failures.length > 0 && '',
      ...d.failures.map((f) => `* ${f.audience}: ${f.reason}`),
      d.moreFailures > 0 && `… and ${plural(d.moreFailures, 'more failed audience')}.`,
      d.imported.length > 0 && '',
      d.imported.length > 0 &&
        `Imported anyway: ${d.imported.map((a) => `${a.name} (${n(a.size)} users)`).join(', ')}${d.moreImported > 0 ? ` and ${plural(d.moreImported, 'more')}` : ''}.`,
      '',
      'Next step: fix the reason above, then replay the "Batch Segment Job State Change" event from the event bus archive. The audience files are rewritten in place; in Pinpoint, a replay imports every audience again as a new segment, so delete the segments listed as imported above first, or keep the older ones.',
      FOOTER,
    ),
  };
}

function batchSegmentJobFailed(d: DetailOf<typeof EVENTS.batchSegmentJobStateChange>): Email {
  return {
    subject: subjectLine(`Personalize segment job failed - ${d.jobName}`),
    body: lines(
      `Amazon Personalize could not finish the batch segment job "${d.jobName}".`,
      '',
      `Reason: ${d.failureReason ?? 'Personalize gave no reason.'}`,
      `Job: ${d.jobArn}`,
      '',
      'No audience was created from this job. Next step: check the job input (one JSON query per line) and the solution version, then start the job again.',
      FOOTER,
    ),
  };
}

function syncCounts(c: DetailOf<typeof EVENTS.segmentSyncSucceeded>['counts']): string {
  return `sent ${n(c.sent)}, retry requests ${n(c.retried)}, failed ${n(c.failed)}, kept for replay ${n(c.keptForReplay)}`;
}

function segmentSyncSucceeded(d: DetailOf<typeof EVENTS.segmentSyncSucceeded>): Email {
  const kept = d.counts.keptForReplay;
  return {
    subject: subjectLine(`Propensity scores synced to Segment: ${n(d.counts.sent)} profiles - ${d.run}`),
    body: lines(
      `The propensity scores of run "${d.run}" are on the Segment profiles as traits.`,
      '',
      `Events: ${syncCounts(d.counts)}.`,
      d.invalidRows > 0 &&
        `${plural(d.invalidRows, 'score row')} could not be read and were not sent; each is listed with its line number and reason in ${d.replayPrefix ? s3Uri(d.replayPrefix) : 'failed/<run>/'}invalid-rows-*.csv.`,
      kept > 0 &&
        d.replayPrefix &&
        `Kept for replay: ${s3Uri(d.replayPrefix)}. Re-send them with: cdp replay ${s3Uri(d.replayPrefix)}`,
      '',
      'Next step: build look-alike or win-back audiences in Segment on churn_propensity and repurchase_propensity.',
      FOOTER,
    ),
  };
}

function segmentSyncFailed(d: DetailOf<typeof EVENTS.segmentSyncFailed>): Email {
  return {
    subject: subjectLine(`Segment sync failed - ${d.run}`),
    body: lines(
      `The propensity scores of run "${d.run}" did not all reach Segment.`,
      '',
      `Reason: ${d.reason}${d.failure ? ` ${describeStepFailure(d.failure.error, d.failure.cause)}` : ''}`,
      d.counts && `Events: ${syncCounts(d.counts)}.`,
      d.invalidRows > 0 &&
        `${plural(d.invalidRows, 'score row')} could not be read and were not sent; see ${d.replayPrefix ? s3Uri(d.replayPrefix) : 'failed/<run>/'}invalid-rows-*.csv.`,
      d.replayPrefix &&
        `Nothing is lost: the failed batches are kept in ${s3Uri(d.replayPrefix)}. Re-send them with: cdp replay ${s3Uri(d.replayPrefix)}`,
      FOOTER,
    ),
  };
}

function datasetRejected(d: DetailOf<typeof EVENTS.datasetRejected>, e: NotifiedEvent): Email {
  const file = d.source.key;
  const c = d.counts;
  const problems = d.firstProblems.map(
    (p) => `* line ${n(p.line)}${p.column ? `, column ${p.column}` : ''}: ${p.reason}`,
  );
  const shown = problems.length;
  return {
    subject: subjectLine(`File rejected: ${file}${d.dataset ? ` (${d.dataset})` : ''}`),
    body: lines(
      `The file ${s3Uri(d.source)} was rejected at ${e.time}. Nothing from it reached the trusted zone; the file itself is still in the landing zone.`,
      '',
      `Reason: ${d.reason}`,
      c &&
        c.rowsIn > 0 &&
        `Rows: ${n(c.rowsIn)} read, ${n(c.bad)} invalid, ${n(c.good)} valid, ${n(c.duplicates)} exact duplicates.`,
      shown > 0 && '',
      shown > 0 && (c && c.bad > shown ? `The first ${plural(shown, 'problem')}:` : 'The problems:'),
      ...problems,
      '',
      d.report
        ? `Every problem, with the value that caused it, is in the report: ${s3Uri(d.report)} (the rejected rows are in rows.csv next to it).`
        : 'No row-level report was written: the problem is with the file as a whole.',
      '',
      'Next step: fix the file and upload it again under the same key. A corrected file is a new version and is ingested anew.',
      FOOTER,
    ),
  };
}

function trainingWorkflowSucceeded(d: DetailOf<typeof EVENTS.trainingWorkflowSucceeded>): Email {
  const failed = d.jobs.filter((job) => job.status === 'FAILED');
  return {
    subject: subjectLine(`Personalize training finished - ${d.datasetGroup}`),
    body: lines(
      `Amazon Personalize trained a new solution version for "${d.datasetGroup}" (run ${d.run}) and ran ${plural(d.jobs.length, 'batch segment job')}.`,
      '',
      `Solution version: ${d.solutionVersionArn}`,
      'Metrics:',
      ...Object.entries(d.metrics).map(([name, value]) => `  ${name}: ${value.toFixed(4)}`),
      Object.keys(d.metrics).length === 0 && '  (Personalize reported none)',
      '',
      'Jobs:',
      ...d.jobs.map(
        (job) => `  ${job.jobName}: ${job.status}${job.failureReason ? ` (${job.failureReason})` : ''}`,
      ),
      d.skippedRows > 0 && `\n${plural(d.skippedRows, 'bad row')} were left out of the import.`,
      d.recommendations &&
        `\nReal-time recommendations: campaign ${d.recommendations.campaignArn} now serves the new version at ${d.recommendations.url}recommendations?userId=…&n=… (IAM-signed requests only).`,
      '',
      failed.length === 0
        ? 'The audiences are built from each job next; you get an email when they have landed.'
        : `${plural(failed.length, 'job')} failed; the others go on to activation.`,
      FOOTER,
    ),
  };
}

function identitiesResolved(d: DetailOf<typeof EVENTS.identitiesResolved>, e: NotifiedEvent): Email {
  const merged = d.records - d.profiles;
  return {
    subject: subjectLine(
      `Identities resolved: ${n(d.profiles)} customer profiles from ${n(d.records)} records`,
    ),
    body: lines(
      `Identity resolution finished at ${e.time}.`,
      '',
      `Records: ${n(d.records)} (CRM ${n(d.bySource.crm)}, store receipts ${n(d.bySource.store)}, web devices ${n(d.bySource.web)}).`,
      `Profiles: ${n(d.profiles)} customers; ${n(merged)} records were joined to another. ${n(d.keptIds)} profiles kept the customer ID they had before.`,
      '',
      'Merges by rule:',
      `* same email:            ${n(d.merges.email)}`,
      `* same phone:            ${n(d.merges.phone)}`,
      `* device signed in:      ${n(d.merges['signed-in'])}`,
      `* similar name + detail: ${n(d.merges.probabilistic)}`,
      d.sharedDevices > 0 &&
        `${plural(d.sharedDevices, 'web device')} signed in as several customers and joined none of them.`,
      '',
      d.reviewPairs > 0
        ? `${plural(d.reviewPairs, 'pair')} of records look alike but not enough to merge on their own. Decide them in ${s3Uri(d.review)}.`
        : 'No pair of records needs a person to decide.',
      '',
      `Tables: identity_map ${s3Uri(d.identityMap)}, profiles ${s3Uri(d.profilesTable)}; in Athena, query the identity_map and profiles tables.`,
      FOOTER,
    ),
  };
}

function trainingWorkflowFailed(d: DetailOf<typeof EVENTS.trainingWorkflowFailed>, e: NotifiedEvent): Email {
  // A Personalize resource that failed carries Personalize's own failureReason as the cause: show it.
  const personalize = d.failure?.error?.startsWith('Personalize.')
    ? causeMessage(d.failure.cause)
    : undefined;
  const reason =
    personalize ?? (d.failure ? describeStepFailure(d.failure.error, d.failure.cause) : d.reason);
  return {
    subject: subjectLine(`Personalize training failed${d.datasetGroup ? ` - ${d.datasetGroup}` : ''}`),
    body: lines(
      `The training workflow${d.datasetGroup ? ` for "${d.datasetGroup}"` : ''} stopped at ${e.time}.`,
      '',
      `Reason: ${reason}`,
      ...(d.problems.length > 0 ? ['', 'Problems:'] : []),
      ...d.problems.map(
        (p) => `  ${p.file}${p.line ? ` line ${p.line}` : ''}${p.where ? ` ${p.where}` : ''}: ${p.reason}`,
      ),
      d.moreProblems > 0 &&
        `  … and ${plural(d.moreProblems, 'more problem')}; run cdp preflight on the folder to see every one.`,
      d.executionArn &&
        `Execution: https://${e.region}.console.aws.amazon.com/states/home?region=${e.region}#/v2/executions/details/${d.executionArn}`,
      FOOTER,
    ),
  };
}

function workflowFailed(d: DetailOf<typeof EVENTS.workflowFailed>, e: NotifiedEvent): Email {
  return {
    subject: subjectLine(`${d.workflow} failed`),
    body: lines(
      `The ${d.workflow} workflow stopped at ${e.time}.`,
      '',
      `Reason: ${d.reason}`,
      d.executionArn &&
        `Execution: https://${e.region}.console.aws.amazon.com/states/home?region=${e.region}#/v2/executions/details/${d.executionArn}`,
      FOOTER,
    ),
  };
}

function propensityQualityGateFailed(d: DetailOf<typeof EVENTS.propensityQualityGateFailed>): Email {
  return {
    subject: subjectLine(`Propensity scores not published - ${d.run}`),
    body: lines(
      `The propensity run "${d.run}" trained its models, but published nothing: ${d.reason}`,
      '',
      `Validation AUC per model (floor ${d.floor}):`,
      ...d.models.map(
        (m) =>
          `* ${m.model}: ${m.auc === null ? 'not reported' : m.auc.toFixed(3)} (${m.passed ? 'passed' : 'below the floor'}; training job ${m.trainingJobName})`,
      ),
      '',
      'The scores of the previous run stay in place, and nothing was sent to Segment or activated.',
      'An AUC of 0.5 is a coin toss. Check that the purchases and CRM files are current, or lower the floor (-c propensityAucFloor=…).',
      FOOTER,
    ),
  };
}

/** Turns a bus event into a readable email. Unknown or malformed events still produce one, never a raw dump. */
export function formatEmail(event: NotifiedEvent): Email {
  const definition = eventByDetailType(event.detailType);
  const parsed = definition?.schema.safeParse(event.detail);
  if (!definition || !parsed?.success) {
    return {
      subject: subjectLine(`cdp-audiences: ${event.detailType}`),
      body: lines(
        `cdp-audiences reported "${event.detailType}" at ${event.time}, in a shape this version cannot describe.`,
        parsed && !parsed.success && `Problem: ${z.prettifyError(parsed.error)}`,
        'The full event is in the event bus archive.',
        FOOTER,
      ),
    };
  }
  switch (definition.detailType) {
    case EVENTS.audiencesImported.detailType:
      return audiencesImported(parsed.data as DetailOf<typeof EVENTS.audiencesImported>, event);
    case EVENTS.audienceImportFailed.detailType:
      return audienceImportFailed(parsed.data as DetailOf<typeof EVENTS.audienceImportFailed>);
    case EVENTS.batchSegmentJobStateChange.detailType:
      return batchSegmentJobFailed(parsed.data as DetailOf<typeof EVENTS.batchSegmentJobStateChange>);
    case EVENTS.trainingWorkflowSucceeded.detailType:
      return trainingWorkflowSucceeded(parsed.data as DetailOf<typeof EVENTS.trainingWorkflowSucceeded>);
    case EVENTS.trainingWorkflowFailed.detailType:
      return trainingWorkflowFailed(parsed.data as DetailOf<typeof EVENTS.trainingWorkflowFailed>, event);
    case EVENTS.segmentSyncSucceeded.detailType:
      return segmentSyncSucceeded(parsed.data as DetailOf<typeof EVENTS.segmentSyncSucceeded>);
    case EVENTS.segmentSyncFailed.detailType:
      return segmentSyncFailed(parsed.data as DetailOf<typeof EVENTS.segmentSyncFailed>);
    case EVENTS.datasetRejected.detailType:
      return datasetRejected(parsed.data as DetailOf<typeof EVENTS.datasetRejected>, event);
    case EVENTS.identitiesResolved.detailType:
      return identitiesResolved(parsed.data as DetailOf<typeof EVENTS.identitiesResolved>, event);
    case EVENTS.workflowFailed.detailType:
      return workflowFailed(parsed.data as DetailOf<typeof EVENTS.workflowFailed>, event);
    case EVENTS.propensityQualityGateFailed.detailType:
      return propensityQualityGateFailed(parsed.data as DetailOf<typeof EVENTS.propensityQualityGateFailed>);
    case EVENTS.privacyRequestCompleted.detailType:
    case EVENTS.privacyRequestFailed.detailType:
      return privacyRequest(
        parsed.data as DetailOf<typeof EVENTS.privacyRequestCompleted>,
        definition.outcome === 'failed',
      );
    default:
      return {
        subject: subjectLine(`cdp-audiences: ${event.detailType}`),
        body: lines(`cdp-audiences reported "${event.detailType}" at ${event.time}.`, FOOTER),
      };
  }
}

/** A privacy request's outcome: line numbers, counts and links, never the subject. */
function privacyRequest(d: DetailOf<typeof EVENTS.privacyRequestCompleted>, failed: boolean): Email {
  return {
    subject: subjectLine(`Privacy request ${failed ? 'FAILED' : 'completed'} - ${d.request}`),
    body: lines(
      `Privacy request ${d.request} ${failed ? 'did not complete' : 'completed'}.`,
      d.reason && `Reason: ${d.reason}`,
      '',
      ...d.accesses.map((a) =>
        a.error
          ? `Access, line ${n(a.line)}: FAILED - ${a.error}`
          : `Access, line ${n(a.line)}: export ready. Readable: ${a.markdownUrl} JSON: ${a.jsonUrl}`,
      ),
      d.accesses.some((a) => !a.error) &&
        `The links stop working ${d.urlsExpireAt ? `at ${d.urlsExpireAt}` : 'after one day'} (or earlier, when the credentials that signed them expire); the exports stay in the trusted bucket under privacy/exports/.`,
      d.erasure &&
        (d.erasure.error
          ? `Erasure, lines ${d.erasure.lines.join(', ')}: FAILED - ${d.erasure.error}`
          : `Erasure, lines ${d.erasure.lines.join(', ')}: ${plural(d.erasure.rowsRemoved, 'row')} removed from the lake, ${plural(d.erasure.objectsRewritten, 'file')} rewritten, ${plural(d.erasure.objectsDeleted, 'file')} deleted; suppressed from future ingestion.`),
      ...d.stores.map((s) => {
        const counts = [
          s.rows === undefined ? undefined : plural(s.rows, 'record'),
          s.objects === undefined ? undefined : plural(s.objects, 'object'),
        ].filter(Boolean);
        const what = [s.action, ...counts].filter(Boolean).join(', ');
        return `${s.store}: ${s.status}${what ? ` (${what})` : ''}${s.note ? ` - ${s.note}` : ''}`;
      }),
      d.invalidRows.length > 0 && '',
      d.invalidRows.length > 0 && `${plural(d.invalidRows.length, 'row')} refused:`,
      ...d.invalidRows.map((r) => `* line ${n(r.line)}: ${r.reason}`),
      FOOTER,
    ),
  };
}

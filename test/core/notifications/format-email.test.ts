import { describe, expect, it } from 'vitest';
import { formatEmail } from '../../../lambdas/core/notifications/format-email';

const base = { time: '2026-11-23T10:00:00Z', region: 'eu-west-1' };

describe('formatEmail', () => {
  it('lists each imported audience with its size, hold-out, segment and totals', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Audiences Imported',
      detail: {
        jobName: 'weekly-genres',
        destination: 'pinpoint',
        manifest: { bucket: 'trusted', key: 'audiences/weekly-genres/manifest.json' },
        audiences: [
          {
            name: 'genres-action--weekly-genres',
            query: 'ITEMS.genres = "Action"',
            size: 12000,
            holdoutSize: 1300,
            unresolvedUsers: 0,
            segmentId: 'seg-1',
            consoleUrl: 'https://console/seg-1',
          },
          {
            name: 'genres-comedy--weekly-genres',
            query: 'ITEMS.genres = "Comedy"',
            size: 800,
            holdoutSize: 90,
            unresolvedUsers: 5,
          },
        ],
      },
    });

    expect(email.subject).toBe('2 audiences ready in Pinpoint (12,800 users) - weekly-genres');
    expect(email.body).toContain('genres-action--weekly-genres');
    expect(email.body).toContain('12,000 users (hold-out: 1,300)');
    expect(email.body).toContain('segment:  seg-1');
    expect(email.body).toContain('https://console/seg-1');
    expect(email.body).toContain('not found in Pinpoint: 5 users');
    expect(email.body).toContain('Totals: 2 audiences, 12,800 users activated, 1,390 held out');
    expect(email.body).toContain('s3://trusted/audiences/weekly-genres/manifest.json');
    expect(email.body).toContain('end of support on 30 October 2026');
  });

  it('shows a partial Pinpoint import with its processed and failed counts and the rows Pinpoint names', () => {
    // Act
    const email = formatEmail({
      ...base,
      detailType: 'Audiences Imported',
      detail: {
        jobName: 'weekly-genres',
        destination: 'pinpoint',
        manifest: { bucket: 'trusted', key: 'audiences/weekly-genres/manifest.json' },
        audiences: [
          {
            name: 'genres-action--weekly-genres',
            query: 'ITEMS.genres = "Action"',
            size: 12000,
            holdoutSize: 1300,
            unresolvedUsers: 0,
            pinpointImport: { processed: 12000, failed: 40, failedRows: ['Row 7: User.UserId is empty'] },
          },
        ],
      },
    });

    // Assess
    expect(email.body).toContain('PARTIAL import: Pinpoint processed 12,000 rows, 40 failed');
    expect(email.body).toContain('- Row 7: User.UserId is empty');
  });

  it('counts the audiences left out of a long list and points at the manifest', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Audiences Imported',
      detail: {
        jobName: 'items',
        destination: 's3',
        manifest: { bucket: 'trusted', key: 'audiences/items/manifest.json' },
        audiences: [{ name: 'item-1--items', query: 'item 1', size: 10, holdoutSize: 1, unresolvedUsers: 0 }],
        moreAudiences: 299,
        totalUsers: 3000,
        totalHoldout: 300,
      },
    });

    expect(email.subject).toBe('300 audiences ready in S3 (3,000 users) - items');
    expect(email.body).toContain('… and 299 more audiences, listed in the manifest.');
    expect(email.body).toContain('Totals: 300 audiences, 3,000 users activated, 300 held out');
  });

  it('gives the reason of each failed audience and the next step', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Audience Import Failed',
      detail: {
        jobName: 'weekly-genres',
        reason: 'Pinpoint refused 1 of 2 imports',
        failures: [
          { audience: 'genres-action--weekly-genres', reason: 'Amazon Pinpoint is no longer available' },
        ],
      },
    });

    expect(email.subject).toBe('Audience import failed - weekly-genres');
    expect(email.body).toContain('Reason: Pinpoint refused 1 of 2 imports');
    expect(email.body).toContain('* genres-action--weekly-genres: Amazon Pinpoint is no longer available');
    expect(email.body).toContain('Next step');
  });

  it('explains a failed Personalize segment job', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Batch Segment Job State Change',
      detail: {
        jobName: 'weekly-genres',
        jobArn: 'arn:aws:personalize:eu-west-1:1:batch-segment-job/weekly-genres',
        status: 'FAILED',
        output: { bucket: 'trusted', key: 'segments/' },
        failureReason: 'Input file has invalid JSON on line 3',
      },
    });

    expect(email.subject).toBe('Personalize segment job failed - weekly-genres');
    expect(email.body).toContain('Reason: Input file has invalid JSON on line 3');
  });

  it('tells how to replay batches kept after a Segment sync', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Segment Sync Failed',
      detail: {
        run: 'run-7',
        reason: '3 batches still failed after retries',
        counts: { sent: 9000, retried: 40, failed: 300, keptForReplay: 300 },
        replayPrefix: { bucket: 'trusted', key: 'failed/run-7/' },
      },
    });

    expect(email.body).toContain('sent 9,000, retry requests 40, failed 300, kept for replay 300');
    expect(email.body).toContain('cdp replay s3://trusted/failed/run-7/');
  });

  it('explains a crashed sync step in words and leaves the stack trace out', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Segment Sync Failed',
      detail: {
        run: 'run-8',
        reason: 'The sync stopped.',
        invalidRows: 2,
        failure: {
          error: 'UserFacingError',
          cause: JSON.stringify({
            errorType: 'UserFacingError',
            errorMessage: 'churn.csv line 4: score "high" is not a number',
            trace: ['at x (/var/task/index.mjs:1:1)'],
          }),
        },
      },
    });

    expect(email.body).toContain('Reason: The sync stopped. churn.csv line 4: score "high" is not a number');
    expect(email.body).toContain('2 score rows could not be read');
    expect(email.body).not.toContain('index.mjs');
  });

  it('keeps the subject to one ASCII line of at most 100 characters', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Workflow Failed',
      detail: { workflow: `Activation — ${'très long '.repeat(20)}\n`, reason: 'x' },
    });

    expect(email.subject.length).toBeLessThanOrEqual(100);
    expect(email.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('describes an event it cannot read instead of dumping raw JSON', () => {
    const email = formatEmail({ ...base, detailType: 'Audiences Imported', detail: { jobName: 42 } });

    expect(email.subject).toBe('cdp-audiences: Audiences Imported');
    expect(email.body).toContain('in a shape this version cannot describe');
    expect(email.body).not.toContain('{"jobName"');
  });

  it('never puts a stack trace in the body', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Workflow Failed',
      detail: { workflow: 'Activation', reason: 'Pinpoint import limit reached' },
    });

    expect(email.body).not.toMatch(/\n\s+at /);
    expect(email.body).toContain('Reason: Pinpoint import limit reached');
  });

  it('explains a rejected file: the reason, the counts, the first problems with their lines, and where the report is', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Dataset Rejected',
      detail: {
        dataset: 'store/sales',
        source: { bucket: 'landing', key: 'store/sales-week48.csv' },
        reason: 'store/sales-week48.csv: 120 of 1000 rows (12.0 %) are invalid, more than the 5.0 % allowed',
        counts: { rowsIn: 1000, good: 878, bad: 120, duplicates: 2 },
        report: { bucket: 'quarantine', key: 'quarantine/store/sales-week48.csv/report.csv' },
        firstProblems: [
          { line: 14, column: 'sold_at', reason: 'has no time zone; add Z or an offset such as +01:00' },
          { line: 812, column: 'amount', reason: 'is not a number' },
        ],
      },
    });

    expect(email.subject).toBe('File rejected: store/sales-week48.csv (store/sales)');
    expect(email.body).toContain('s3://landing/store/sales-week48.csv was rejected');
    expect(email.body).toContain('still in the landing zone');
    expect(email.body).toContain('Reason: store/sales-week48.csv: 120 of 1000 rows (12.0 %) are invalid');
    expect(email.body).toContain('Rows: 1,000 read, 120 invalid, 878 valid, 2 exact duplicates.');
    expect(email.body).toContain('The first 2 problems:');
    expect(email.body).toContain('* line 14, column sold_at: has no time zone');
    expect(email.body).toContain('* line 812, column amount: is not a number');
    expect(email.body).toContain('s3://quarantine/quarantine/store/sales-week48.csv/report.csv');
  });

  it('says a file broken as a whole has no row report, and names no dataset it does not know', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Dataset Rejected',
      detail: {
        source: { bucket: 'landing', key: 'crm/notes.txt' },
        reason: 'no dataset is declared for crm/notes.txt; files land as crm/customers.csv, …',
      },
    });

    expect(email.subject).toBe('File rejected: crm/notes.txt');
    expect(email.body).toContain('No row-level report was written');
    expect(email.body).not.toContain('Rows:');
  });

  it('summarises an identity run: records by source, profiles, merges by rule and the pairs to review', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Identities Resolved',
      detail: {
        records: 12500,
        bySource: { crm: 5000, store: 4500, web: 3000 },
        profiles: 5200,
        merges: { email: 3100, phone: 1200, 'signed-in': 2600, probabilistic: 400 },
        reviewPairs: 37,
        sharedDevices: 4,
        keptIds: 5100,
        identityMap: { bucket: 'trusted', key: 'trusted/identity/identity_map/identity_map.parquet' },
        profilesTable: { bucket: 'trusted', key: 'trusted/identity/profiles/profiles.parquet' },
        review: { bucket: 'trusted', key: 'trusted/identity/review.csv' },
      },
    });

    expect(email.subject).toBe('Identities resolved: 5,200 customer profiles from 12,500 records');
    expect(email.body).toContain('Records: 12,500 (CRM 5,000, store receipts 4,500, web devices 3,000).');
    expect(email.body).toContain('7,300 records were joined to another. 5,100 profiles kept the customer ID');
    expect(email.body).toContain('* same email:            3,100');
    expect(email.body).toContain('* similar name + detail: 400');
    expect(email.body).toContain('4 web devices signed in as several customers');
    expect(email.body).toContain('37 pairs of records look alike');
    expect(email.body).toContain('s3://trusted/trusted/identity/review.csv');
  });

  it('says when no pair of records needs review', () => {
    const email = formatEmail({
      ...base,
      detailType: 'Identities Resolved',
      detail: {
        records: 3,
        bySource: { crm: 3, store: 0, web: 0 },
        profiles: 3,
        merges: { email: 0, phone: 0, 'signed-in': 0, probabilistic: 0 },
        reviewPairs: 0,
        identityMap: { bucket: 't', key: 'a' },
        profilesTable: { bucket: 't', key: 'b' },
        review: { bucket: 't', key: 'c' },
      },
    });

    expect(email.body).toContain('No pair of records needs a person to decide.');
    expect(email.body).not.toContain('signed in as several customers');
  });

  it("says the propensity run published nothing, with each model's validation AUC against the floor", () => {
    const email = formatEmail({
      ...base,
      detailType: 'Propensity Quality Gate Failed',
      detail: {
        run: '2026-12-02T03-00-00',
        floor: 0.65,
        models: [
          { model: 'churn', trainingJobName: 'cdp-ps-churn-x', auc: 0.81, passed: true },
          { model: 'repurchase', trainingJobName: 'cdp-ps-repurchase-x', auc: 0.612, passed: false },
        ],
        reason: 'The repurchase model reached a validation AUC of 0.612, below the floor of 0.65.',
      },
    });

    expect(email.subject).toBe('Propensity scores not published - 2026-12-02T03-00-00');
    expect(email.body).toContain('* churn: 0.810 (passed; training job cdp-ps-churn-x)');
    expect(email.body).toContain('* repurchase: 0.612 (below the floor; training job cdp-ps-repurchase-x)');
    expect(email.body).toContain('nothing was sent to Segment or activated');
  });
});

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

    expect(email.body).toContain('sent 9,000, retried 40, failed 300, kept for replay 300');
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
});

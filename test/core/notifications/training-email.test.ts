import { describe, expect, it } from 'vitest';
import { formatEmail } from '../../../lambdas/core/notifications/format-email';

const at = { time: '2026-12-02T14:00:00Z', region: 'eu-west-1' };

describe('training emails', () => {
  it('gives the metrics and each job’s outcome when training succeeded', () => {
    const email = formatEmail({
      ...at,
      detailType: 'Training Workflow Succeeded',
      detail: {
        datasetGroup: 'cdp-sample',
        run: 'abcd1234',
        solutionVersionArn: 'arn:aws:personalize:eu-west-1:111122223333:solution/s/v1',
        metrics: { coverage: 0.4123456 },
        jobs: [
          { jobName: 'genres-1-abcd1234', status: 'ACTIVE' },
          { jobName: 'genres-2-abcd1234', status: 'FAILED', failureReason: 'no items match' },
        ],
        skippedRows: 2,
      },
    });

    expect(email.subject).toBe('Personalize training finished - cdp-sample');
    expect(email.body).toContain('  coverage: 0.4123');
    expect(email.body).toContain('  genres-2-abcd1234: FAILED (no items match)');
    expect(email.body).toContain('2 bad rows were left out of the import.');
    expect(email.body).toContain('1 job failed; the others go on to activation.');
  });

  it('lists each pre-flight problem with its file and line when training could not start', () => {
    const email = formatEmail({
      ...at,
      detailType: 'Training Workflow Failed',
      detail: {
        datasetGroup: 'cdp-sample',
        reason: 'the pre-flight found 2 problem(s); no Personalize resource was created',
        problems: [
          {
            file: 'interactions.csv',
            line: 812,
            where: 'TIMESTAMP',
            reason: 'looks like epoch milliseconds',
          },
          { file: 'training.json', where: 'batchSegmentJobs[0].queries[1]', reason: 'names the column MOOD' },
        ],
        moreProblems: 3,
      },
    });

    expect(email.body).toContain('Reason: the pre-flight found 2 problem(s)');
    expect(email.body).toContain('  interactions.csv line 812 TIMESTAMP: looks like epoch milliseconds');
    expect(email.body).toContain('… and 3 more problems; run cdp preflight on the folder to see every one.');
  });

  it('keeps a Lambda’s stack trace out of the email when the pre-flight step crashed', () => {
    const email = formatEmail({
      ...at,
      detailType: 'Training Workflow Failed',
      detail: {
        reason: 'The pre-flight step failed.',
        failure: {
          error: 'Error',
          cause: '{"errorMessage":"boom","stackTrace":["at x (/var/task/index.js:1)"]}',
        },
      },
    });

    expect(email.body).not.toContain('/var/task');
    expect(email.body).toContain('The workflow stopped on Error.');
  });
});

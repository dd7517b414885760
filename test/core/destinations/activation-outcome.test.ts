import { describe, expect, it } from 'vitest';
import {
  activationOutcome,
  describeError,
  FAILED_ROWS_SHOWN,
  MAX_CAUSE_CHARS,
  PINPOINT_END_OF_SUPPORT,
  QUEUE_WAIT_HOURS,
  type ActivationRun,
} from '../../../lambdas/core/destinations/activation-outcome';

const build: NonNullable<ActivationRun['build']> = {
  manifest: { bucket: 'trusted', key: 'audiences/job/manifest.json' },
  audiences: [
    {
      name: 'action',
      query: 'q1',
      size: 10,
      holdoutSize: 1,
      unresolvedUsers: 0,
      importKey: 'audiences/job/action.csv',
    },
    {
      name: 'comedy',
      query: 'q2',
      size: 20,
      holdoutSize: 2,
      unresolvedUsers: 3,
      importKey: 'audiences/job/comedy.csv',
    },
  ],
  skippedLines: 1,
};
const base = { jobName: 'job', region: 'eu-west-1' } as const;

describe('activationOutcome', () => {
  it('reports every audience with its segment when all imports completed', () => {
    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      applicationId: 'app',
      build,
      imports: [
        {
          name: 'action',
          outcome: 'COMPLETED',
          job: { JobStatus: 'COMPLETED', Definition: { SegmentId: 's1' } },
        },
        {
          name: 'comedy',
          outcome: 'COMPLETED',
          job: { JobStatus: 'COMPLETED', Definition: { SegmentId: 's2' } },
        },
      ],
    });

    expect(event.detailType).toBe('Audiences Imported');
    expect(event.detail).toMatchObject({
      skippedLines: 1,
      audiences: [
        { name: 'action', segmentId: 's1', consoleUrl: expect.stringContaining('/apps/app/segments/s1') },
        { name: 'comedy', segmentId: 's2', unresolvedUsers: 3 },
      ],
    });
  });

  it('lists at most 200 audiences in the event and counts the rest, so the event stays under 256 KB', () => {
    const many = Array.from({ length: 250 }, (_, i) => ({
      ...build.audiences[0]!,
      name: `a${i}`,
      size: 2,
      holdoutSize: 1,
    }));

    const event = activationOutcome({ ...base, destination: 's3', build: { ...build, audiences: many } });

    expect(event.detail).toMatchObject({ moreAudiences: 50, totalUsers: 500, totalHoldout: 250 });
    expect((event.detail as { audiences: unknown[] }).audiences).toHaveLength(200);
    expect(JSON.stringify(event.detail).length).toBeLessThan(256 * 1024);
  });

  it('caps the failure list and counts the rest, so a mass failure still fits in one event', () => {
    const many = Array.from({ length: 600 }, (_, i) => ({ ...build.audiences[0]!, name: `a${i}` }));
    const refused = many.map((a) => ({
      name: a.name,
      outcome: 'FAILED' as const,
      error: 'Pinpoint.ForbiddenException',
    }));

    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      build: { ...build, audiences: many },
      imports: refused,
    });

    expect(event.detail).toMatchObject({ moreFailures: 550, moreImported: 0 });
    expect((event.detail as { failures: unknown[] }).failures).toHaveLength(50);
    expect(JSON.stringify(event.detail).length).toBeLessThan(64 * 1024);
  });

  it('reports the files alone for the s3 destination', () => {
    const event = activationOutcome({ ...base, destination: 's3', build, imports: [] });

    expect(event.detailType).toBe('Audiences Imported');
    expect(event.detail).toMatchObject({
      destination: 's3',
      audiences: [{ name: 'action' }, { name: 'comedy' }],
    });
  });

  it('reports a completed import with failed rows as partial, with Pinpoint’s counts and its first failed rows', () => {
    // Prepare
    const failures = Array.from({ length: 8 }, (_, i) => `Row ${i + 2}: User.UserId is empty`);

    // Act
    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      applicationId: 'app',
      build,
      imports: [
        {
          name: 'action',
          outcome: 'COMPLETED',
          job: {
            JobStatus: 'COMPLETED',
            Definition: { SegmentId: 's1' },
            TotalProcessed: 10,
            TotalFailures: 8,
            Failures: failures,
          },
        },
        { name: 'comedy', outcome: 'COMPLETED', job: { JobStatus: 'COMPLETED', TotalFailures: 0 } },
      ],
    });

    // Assess
    expect(event.detailType).toBe('Audiences Imported');
    const [action, comedy] = (event.detail as { audiences: Record<string, unknown>[] }).audiences;
    expect(action).toMatchObject({
      segmentId: 's1',
      pinpointImport: { processed: 10, failed: 8, failedRows: failures.slice(0, FAILED_ROWS_SHOWN) },
    });
    expect(comedy).not.toHaveProperty('pinpointImport');
    // Pinpoint named no segment: none is reported, and the run does not break on the missing field.
    expect(comedy).not.toHaveProperty('segmentId');
    expect(comedy).not.toHaveProperty('consoleUrl');
  });

  it('cuts a long Pinpoint cause to a fixed length in the event', () => {
    // Act
    const reason = describeError(
      'Pinpoint.BadRequestException',
      JSON.stringify({ Message: 'x'.repeat(4096) }),
    );

    // Assess
    expect(reason.length).toBeLessThan(MAX_CAUSE_CHARS + 100);
    expect(reason).toContain('x'.repeat(100));
  });

  it('says which bound was hit: the queue wait or the running time', () => {
    // Act
    const queued = describeError('ImportJobQueuedTooLong', undefined);
    const running = describeError('ImportJobTimedOut', undefined);

    // Assess
    expect(queued).toContain('PENDING_JOB');
    expect(queued).toContain(`${QUEUE_WAIT_HOURS} hours`);
    expect(running).toContain('started but did not finish');
  });

  it('names an audience the workflow never imported instead of dropping it', () => {
    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      build,
      imports: [
        {
          name: 'action',
          outcome: 'COMPLETED',
          job: { JobStatus: 'COMPLETED', Definition: { SegmentId: 's1' } },
        },
      ],
    });

    expect(event.detailType).toBe('Audience Import Failed');
    expect(event.detail).toMatchObject({
      failures: [{ audience: 'comedy', reason: 'The workflow never imported it.' }],
    });
  });

  it('fails a job whose output held no usable audience and points at the manifest', () => {
    const event = activationOutcome({
      ...base,
      destination: 's3',
      build: { ...build, audiences: [], skippedLines: 4 },
    });

    expect(event.detailType).toBe('Audience Import Failed');
    expect(event.detail).toMatchObject({ reason: expect.stringContaining('4 lines skipped') });
    expect(JSON.stringify(event.detail)).toContain('s3://trusted/audiences/job/manifest.json');
  });

  it('gives one shared reason when every audience failed the same way', () => {
    const refused = { outcome: 'FAILED', error: 'Pinpoint.TooManyRequestsException' } as const;
    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      build,
      imports: [
        { name: 'action', ...refused },
        { name: 'comedy', ...refused },
      ],
    });

    expect(event.detail).toMatchObject({
      reason: expect.stringMatching(/^2 of 2 audiences failed: Pinpoint kept refusing/),
    });
  });

  it('reports a failure that happened before any import', () => {
    const event = activationOutcome({
      ...base,
      destination: 'pinpoint',
      failure: {
        Error: 'UserFacingError',
        Cause: JSON.stringify({
          errorType: 'UserFacingError',
          errorMessage: 'No .out file under segments/job/',
          trace: ['at x (y.js:1)'],
        }),
      },
    });

    expect(event.detail).toMatchObject({ reason: 'No .out file under segments/job/' });
    expect(JSON.stringify(event.detail)).not.toContain('y.js');
  });
});

describe('describeError', () => {
  it('explains the end of support when Pinpoint says so', () => {
    expect(describeError('Pinpoint.BadRequestException', 'Amazon Pinpoint has reached end of support')).toBe(
      PINPOINT_END_OF_SUPPORT,
    );
  });

  it.each(['Pinpoint.ForbiddenException', 'Pinpoint.NotFoundException'])(
    'names both a wrong project and the end of support when Pinpoint refuses with %s',
    (error) => {
      const text = describeError(error, 'Resource not found');

      expect(text).toContain(`Pinpoint refused the request (${error}: Resource not found)`);
      expect(text).toContain('Check that pinpointApplicationId names an existing project');
      expect(text).toContain(PINPOINT_END_OF_SUPPORT);
    },
  );

  it('explains a job too large to pass between steps and how to split it', () => {
    expect(
      describeError(
        'States.DataLimitExceeded',
        'The state/task returned a result with a size exceeding the maximum number of bytes service limit.',
      ),
    ).toContain('Split its queries over several batch segment jobs');
  });

  it('keeps an internal error generic, with no stack trace', () => {
    const cause = JSON.stringify({
      errorType: 'TypeError',
      errorMessage: 'x is undefined',
      trace: ['at build (/var/task/index.mjs:1:2)'],
    });

    const text = describeError('TypeError', cause);

    expect(text).toBe(
      'The workflow stopped on TypeError. The details are in the execution history and the Lambda logs.',
    );
  });

  it('lists the failure rows of a FAILED import job', () => {
    const response = JSON.stringify({
      JobStatus: 'FAILED',
      Failures: ['Row 3: User.UserId is empty', 'Row 9: bad'],
    });

    expect(describeError('ImportJobFailed', response)).toBe(
      'Pinpoint could not import the file: Row 3: User.UserId is empty; Row 9: bad.',
    );
  });

  it('quotes Pinpoint import failures', () => {
    expect(describeError('ImportJobFailed', '{"Message":"Row 3: User.UserId is empty"}')).toBe(
      'Pinpoint could not import the file: Row 3: User.UserId is empty.',
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  identityWindowOf,
  ingestExecutionName,
  MAX_EXECUTION_NAME,
} from '../../../lambdas/core/ingest/execution-names';

describe('ingestExecutionName', () => {
  it('gives the same name to the same key and ETag, so a re-delivered event cannot start a second run', () => {
    expect(ingestExecutionName('crm/customers.csv', '"abc"')).toBe(
      ingestExecutionName('crm/customers.csv', '"abc"'),
    );
  });

  it('gives new content under the same key (another ETag) a new name', () => {
    expect(ingestExecutionName('crm/customers.csv', 'abc')).not.toBe(
      ingestExecutionName('crm/customers.csv', 'abd'),
    );
  });

  it('keeps a readable stem of the key and only the characters Step Functions logs accept', () => {
    const name = ingestExecutionName('store/sales 2026/week 48 (final).csv', 'e1-2');

    expect(name).toMatch(/^store-sales-2026-week-48-final-[0-9a-f]{32}$/);
  });

  it('stays within 80 characters for a very long key, and still tells two long keys apart', () => {
    const long = `web/events/${'x'.repeat(300)}`;
    const a = ingestExecutionName(`${long}-a.csv`, 'e');
    const b = ingestExecutionName(`${long}-b.csv`, 'e');

    expect(a.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME);
    expect(a).not.toBe(b);
  });
});

describe('identityWindowOf', () => {
  it('maps every event of one window to one execution name that runs just after the window closes', () => {
    const first = identityWindowOf(new Date('2026-12-02T13:20:05Z'), 5);
    const last = identityWindowOf(new Date('2026-12-02T13:24:59Z'), 5);

    expect(first).toEqual({ name: 'identity-2026-12-02T13-20', runAfter: '2026-12-02T13:25:30Z' });
    expect(last).toEqual(first);
  });

  it('starts a new window, and so a new run, once the window has closed', () => {
    expect(identityWindowOf(new Date('2026-12-02T13:25:00Z'), 5).name).toBe('identity-2026-12-02T13-25');
  });
});

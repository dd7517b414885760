import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { ingestEventOf } from '../../lambdas/core/ingest/ingest-events';
import { ingestFile } from '../../lambdas/core/ingest/ingest-file';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';
import { buildApp } from '../lib/synth';
import {
  checkRange,
  finishRanges,
  mergeRanges,
  planLandingRanges,
  type RangeCheck,
  type RangeJob,
  writeRange,
} from '../../lambdas/core/ingest/ingest-ranges';
import { definitionOf, itemProcessorOf, runLocally, type LocalHandler as Handler } from './definition';

/** What the range step's item processors hand the range function. */
type RangeJobInput = Pick<RangeJob, 'header' | 'recordDelimiter' | 'range'> & {
  step: 'check' | 'write';
  withDrops?: number[];
};

const buckets = { landing: 'landing', trusted: 'trusted', quarantine: 'quarantine' };
const ORDERS = 'order_id,customer_id,item_count,amount,ordered_at';

/** The input the start Lambda gives the workflow. */
const request = (key: string, etag: string) => ({
  source: { bucket: 'landing', key },
  etag,
  ingestDate: '2026-12-02',
});

/** A stand-in for the ingest Lambda that runs the real core over in-memory zones. */
function ingestOver(stores: {
  landing: MemoryObjectStore;
  trusted: MemoryObjectStore;
  quarantine: MemoryObjectStore;
}): Handler {
  return async (input: { source: { key: string }; etag: string; ingestDate: string }) =>
    ingestEventOf(
      await ingestFile(stores, { key: input.source.key, etag: input.etag, ingestDate: input.ingestDate }),
      buckets,
    );
}

function zones(files: Record<string, string>) {
  const landing = new MemoryObjectStore();
  for (const [key, body] of Object.entries(files)) landing.objects.set(key, Buffer.from(body));
  return { landing, trusted: new MemoryObjectStore(), quarantine: new MemoryObjectStore() };
}

/** The plan step of a file below the split threshold: ingest it whole. */
const WHOLE = { 'Plan ranges': async () => ({ split: false }) };

const PUBLISH_STATES = ['Publish ingest outcome', 'Publish ingest crash'];

describe('ingestion workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'IngestionWorkflow');
  });

  it('publishes Dataset Ingested with the counts and the trusted output for a good file', async () => {
    const stores = zones({
      'web/orders.csv': `${ORDERS}\nO1,C1,2,10.50,2025-03-01T10:00:00Z\nO2,C2,1,3,1735689600\n`,
    });

    const { outcome, published } = await runLocally(definition, request('web/orders.csv', 'etag-1'), {
      handlers: { ...WHOLE, 'Ingest file': ingestOver(stores) },
      publishStates: PUBLISH_STATES,
    });

    expect(outcome).toBe('succeeded');
    expect(published).toHaveLength(1);
    expect(published[0]!.detailType).toBe(EVENTS.datasetIngested.detailType);
    const detail = EVENTS.datasetIngested.schema.parse(published[0]!.detail);
    expect(detail).toMatchObject({
      dataset: 'web/orders',
      counts: { rowsIn: 2, good: 2, bad: 0, duplicates: 0 },
      alreadyIngested: false,
    });
    expect(stores.trusted.objects.has(detail.output.key)).toBe(true);
  });

  it('publishes Dataset Rejected with the reason, the first problems and the report for a file over the bad-row threshold', async () => {
    const rows = ['O1,C1,two,1,2025-01-01T00:00:00Z', 'O2,C2,1,3,2025-01-01T00:00:00Z'];
    const stores = zones({ 'web/orders.csv': `${ORDERS}\n${rows.join('\n')}\n` });

    const { outcome, published } = await runLocally(definition, request('web/orders.csv', 'etag-2'), {
      handlers: { ...WHOLE, 'Ingest file': ingestOver(stores) },
      publishStates: PUBLISH_STATES,
    });

    expect(outcome).toBe('succeeded');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.datasetRejected.detailType]);
    const detail = EVENTS.datasetRejected.schema.parse(published[0]!.detail);
    expect(detail.reason).toContain('1 of 2 rows');
    expect(detail.firstProblems[0]).toMatchObject({ line: 2, column: 'item_count' });
    expect(detail.report).toEqual({ bucket: 'quarantine', key: 'quarantine/web/orders.csv/report.csv' });
    expect([...stores.trusted.objects.keys()].filter((k) => k.endsWith('.parquet'))).toEqual([]);
  });

  it('writes nothing the second time the same file (key and ETag) comes through, and flags the event as a re-delivery', async () => {
    const stores = zones({ 'web/orders.csv': `${ORDERS}\nO1,C1,2,10.50,2025-03-01T10:00:00Z\n` });
    const options = {
      handlers: { ...WHOLE, 'Ingest file': ingestOver(stores) },
      publishStates: PUBLISH_STATES,
    };
    await runLocally(definition, request('web/orders.csv', 'etag-3'), options);
    const before = new Map(stores.trusted.objects);

    const { outcome, published } = await runLocally(definition, request('web/orders.csv', 'etag-3'), options);

    expect(outcome).toBe('succeeded');
    expect(published[0]!.detailType).toBe(EVENTS.datasetIngested.detailType);
    expect(published[0]!.detail).toMatchObject({
      alreadyIngested: true,
      counts: { rowsIn: 0, good: 0, bad: 0, duplicates: 0 },
    });
    expect(stores.trusted.objects).toEqual(before);
  });

  it('reports a crashed ingest Lambda as Dataset Rejected naming the error, and fails the execution for the alarm', async () => {
    const crash: Handler = async () => {
      throw Object.assign(new Error('Task timed out after 900.00 seconds'), { name: 'Sandbox.Timedout' });
    };

    const { outcome, published } = await runLocally(definition, request('store/sales.csv', 'etag-4'), {
      handlers: { ...WHOLE, 'Ingest file': crash },
      publishStates: PUBLISH_STATES,
    });

    expect(outcome).toBe('failed: IngestionFailed');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.datasetRejected.detailType]);
    const detail = EVENTS.datasetRejected.schema.parse(published[0]!.detail);
    expect(detail.source).toEqual({ bucket: 'landing', key: 'store/sales.csv' });
    expect(detail.reason).toContain('store/sales.csv stopped on Sandbox.Timedout');
  });

  it('refuses a hand-started execution without an ETag before touching the file', async () => {
    let called = false;

    const { outcome, published } = await runLocally(
      definition,
      { source: { bucket: 'landing', key: 'crm/customers.csv' }, ingestDate: '2026-12-02' },
      {
        handlers: {
          'Ingest file': async () => {
            called = true;
            return {};
          },
        },
        publishStates: PUBLISH_STATES,
      },
    );

    expect(outcome).toBe('failed: InvalidRequest');
    expect(called).toBe(false);
    expect(published).toEqual([]);
  });
});

describe('ranged ingestion item processors, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'IngestionWorkflow');
  });

  it('check and write each range through the range step, which together ingest like the whole file', async () => {
    const lines = [ORDERS];
    for (let i = 1; i <= 120; i++) {
      lines.push(
        i % 30 === 0
          ? `O${i},C1,many,3,2025-01-01T00:00:00Z`
          : `O${i},C${i % 5},1,${i}.5,2025-01-01T00:00:00Z`,
      );
    }
    lines.push(`O1,C1,1,1.5,2025-01-01T00:00:00Z`); // a copy of the first row, in the last range
    const body = `${lines.join('\n')}\n`;
    const whole = zones({ 'web/orders.csv': body });
    const ranged = zones({ 'web/orders.csv': body });
    const file = request('web/orders.csv', 'etag-9');
    const ingest = { key: file.source.key, etag: file.etag, ingestDate: file.ingestDate };
    const plan = await planLandingRanges(ranged.landing, ingest.key, 800);
    expect(plan.ranges.length).toBeGreaterThan(2);
    const item = (step: string, range: unknown, more = {}) => ({
      step,
      ...file,
      header: plan.header,
      recordDelimiter: plan.recordDelimiter,
      range,
      ...more,
    });
    // The stand-in of the range function: the core step the item names, over in-memory zones.
    const rangeStep: Handler = async (input: RangeJobInput) => {
      const job = {
        ...ingest,
        header: input.header,
        recordDelimiter: input.recordDelimiter,
        range: input.range,
      };
      if (input.step === 'check') return checkRange(ranged, job);
      return writeRange(ranged, job, input.withDrops!.includes(input.range.index));
    };

    const checks: RangeCheck[] = [];
    for (const range of plan.ranges) {
      const run = await runLocally(itemProcessorOf(definition, 'Check each range'), item('check', range), {
        handlers: { 'Check range': rangeStep },
      });
      expect(run.outcome).toBe('succeeded');
      checks.push(run.result as RangeCheck);
    }
    const merged = await mergeRanges(ranged, ingest, checks);
    expect(merged.status).toBe('write');
    if (merged.status !== 'write') return;
    for (const range of plan.ranges) {
      const run = await runLocally(
        itemProcessorOf(definition, 'Write each range'),
        item('write', range, { withDrops: merged.withDrops }),
        { handlers: { 'Write range': rangeStep } },
      );
      expect(run.outcome).toBe('succeeded');
    }
    const outcome = await finishRanges(ranged, ingest, merged);
    const expected = await ingestFile(whole, ingest);

    const counts = (o: typeof outcome) =>
      o.status === 'ingested'
        ? { rowsIn: o.rowsIn, good: o.good, bad: o.bad, duplicates: o.duplicates }
        : o.status;
    expect(counts(outcome)).toEqual(counts(expected));
    expect(counts(outcome)).toEqual({ rowsIn: 121, good: 116, bad: 4, duplicates: 1 });
    expect(ranged.quarantine.objects.get('quarantine/web/orders.csv/report.csv')?.toString()).toBe(
      whole.quarantine.objects.get('quarantine/web/orders.csv/report.csv')?.toString(),
    );
  });
});

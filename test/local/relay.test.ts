import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../../lambdas/core/errors';
import { interactionRowsOf } from '../../lambdas/core/realtime/relay-lines';
import { INTERACTIONS_FILE, REJECTED_FILE, relayFile } from '../../lambdas/local/commands/relay';
import { segmentEventLinesOf } from '../../data/generator/segment-events';
import { MAPPING, track } from '../core/realtime/fixtures';

const lines = (...events: unknown[]) =>
  events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n';

describe('cdp relay', () => {
  let dir: string;
  let out: { log: string[]; error: string[] };
  const io = { log: (line: string) => out.log.push(line), error: (line: string) => out.error.push(line) };
  const eventsFile = (content: string) => {
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, content);
    return file;
  };
  const read = (file: string) => readFileSync(path.join(dir, 'out', file), 'utf8');

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'relay-'));
    out = { log: [], error: [] };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a new interactions.csv with its header, TIMESTAMP in epoch seconds', async () => {
    const file = eventsFile(
      lines(track(), track({ event: 'Order Completed', properties: { product_id: 'p9' } })),
    );

    const run = await relayFile(file, { out: path.join(dir, 'out'), mapping: MAPPING }, io);

    expect(run).toMatchObject({ status: 0, appended: 2, rejected: 0 });
    expect(read(INTERACTIONS_FILE)).toBe(
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nuser-1,item-1,1796032800,View\nuser-1,p9,1796032800,Purchase\n',
    );
  });

  it('appends to an existing file without a second header, even one without a final line break', async () => {
    mkdirSync(path.join(dir, 'out', 'personalize'), { recursive: true });
    writeFileSync(
      path.join(dir, 'out', INTERACTIONS_FILE),
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nC1,I1,1700000000,watch',
    );

    await relayFile(eventsFile(lines(track())), { out: path.join(dir, 'out'), mapping: MAPPING }, io);

    expect(read(INTERACTIONS_FILE)).toBe(
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nC1,I1,1700000000,watch\nuser-1,item-1,1796032800,View\n',
    );
  });

  it('refuses to append to a file with other columns, and leaves it as it was', async () => {
    mkdirSync(path.join(dir, 'out', 'personalize'), { recursive: true });
    const other = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nC1,I1,1700000000,watch,1\n';
    writeFileSync(path.join(dir, 'out', INTERACTIONS_FILE), other);

    const run = relayFile(eventsFile(lines(track())), { out: path.join(dir, 'out'), mapping: MAPPING }, io);

    await expect(run).rejects.toThrow(UserFacingError);
    expect(read(INTERACTIONS_FILE)).toBe(other);
  });

  it('reports every rejected line with its number and reason', async () => {
    const file = eventsFile(
      lines(
        track(),
        '{broken',
        track({ event: '=HYPERLINK("x")' }),
        track({ userId: null }),
        track({ properties: {} }),
      ),
    );

    const run = await relayFile(file, { out: path.join(dir, 'out'), mapping: MAPPING }, io);

    expect(run).toMatchObject({ status: 2, lines: 5, appended: 1, rejected: 4 });
    const report = parse(read(REJECTED_FILE), { columns: true }) as { line: string; reason: string }[];
    expect(report.map((r) => r.line)).toEqual(['2', '3', '4', '5']);
    expect(report[0]!.reason).toBe('not JSON');
    expect(report[1]!.reason).toBe('unknown event name "=HYPERLINK(\\"x\\")": not in the event type map');
    expect(report[2]!.reason).toMatch(/^anonymous event/);
    expect(report[3]!.reason).toBe('no item ID at properties.product_id');
    expect(out.log.join('\n')).not.toContain('user-1');
  });

  it('skips blank lines but keeps counting them', async () => {
    const outcomes = [];
    async function* source() {
      yield '';
      yield JSON.stringify(track());
    }
    for await (const outcome of interactionRowsOf(source(), MAPPING)) outcomes.push(outcome);

    expect(outcomes).toEqual([{ line: 2, rows: [['user-1', 'item-1', 1796032800, 'View']] }]);
  });

  it("relays the generator's sample events: views, cart additions and orders by product", async () => {
    const web = [
      ['anon-1', '', 'page_viewed', '', '', '2025-01-01T00:00:00Z'],
      ['anon-1', 'C1', 'signed_in', '', '', '2025-01-01T00:00:10Z'],
      ['anon-1', 'C1', 'product_viewed', 'I1', '', '2025-01-01T00:00:20Z'],
      ['anon-1', 'C1', 'added_to_cart', 'I1', '', '2025-01-01T00:00:30Z'],
      ['anon-1', 'C1', 'added_to_cart', 'I2', '', '2025-01-01T00:00:40Z'],
      ['anon-1', 'C1', 'order_completed', '', 'O1', '2025-01-01T00:01:00Z'],
    ] as const;
    const sample = segmentEventLinesOf(web, (id) => (id === 'I1' ? '9.99' : '5.99'), { next: 0 });

    const run = await relayFile(
      eventsFile(sample.join('\n') + '\n'),
      { out: path.join(dir, 'out'), mapping: MAPPING },
      io,
    );

    expect(run).toMatchObject({ appended: 5, rejected: 1 });
    expect(read(INTERACTIONS_FILE).split('\n').slice(1, -1)).toEqual([
      'C1,I1,1735689620,View',
      'C1,I1,1735689630,AddToCart',
      'C1,I2,1735689640,AddToCart',
      'C1,I1,1735689660,Purchase',
      'C1,I2,1735689660,Purchase',
    ]);
  });
});

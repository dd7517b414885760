import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { UserFacingError } from '../../core/errors';
import { reportCsv } from '../../core/ingest/csv-rows';
import { DEFAULT_EVENT_TYPES, DEFAULT_ITEM_ID_PATH, type RelayMapping } from '../../core/realtime/map-track';
import { INTERACTIONS_HEADER, interactionRowsOf } from '../../core/realtime/relay-lines';
import type { Console } from './ingest';
import type { RegisterCommand } from './index';

/**
 * `cdp relay <events.jsonl> --out <dir>`: the real-time relay's mapping, offline. Segment track
 * events (as the EventBridge destination delivers them, one JSON a line) become rows appended to
 * `<dir>/personalize/interactions.csv`, so the local segmentation model trains on them; the lines
 * that cannot become rows go to `<dir>/relay/rejected-events.csv` with their line and reason.
 *
 * Exit status: 0 when every event was appended; 2 when some were rejected.
 */

export interface RelayRunOptions {
  readonly out: string;
  readonly mapping: RelayMapping;
}

export interface RelayRun {
  readonly status: 0 | 2;
  readonly lines: number;
  readonly appended: number;
  readonly rejected: number;
  readonly interactions: string;
  readonly report: string;
}

export const INTERACTIONS_FILE = path.join('personalize', 'interactions.csv');
export const REJECTED_FILE = path.join('relay', 'rejected-events.csv');

export const registerRelay: RegisterCommand = (program) => {
  program
    .command('relay')
    .description(
      "Map Segment track events (one EventBridge event as JSON a line) as the real-time relay does, and append them to Personalize's interactions.csv.",
    )
    .argument('<events>', 'the events file, e.g. data/sample/segment/events.jsonl')
    .requiredOption('--out <dir>', 'where personalize/interactions.csv is appended to')
    .option(
      '--event-type <name=type>',
      `a Segment event name and its Personalize event type, repeatable (default: ${Object.entries(
        DEFAULT_EVENT_TYPES,
      )
        .map(([name, type]) => `"${name}=${type}"`)
        .join(', ')})`,
      collectEventType,
    )
    .option('--item-id-path <path>', 'where the item ID is in the Segment message', DEFAULT_ITEM_ID_PATH)
    .option('--no-event-value', 'do not take price or revenue as the event value')
    .action(
      async (
        events: string,
        options: { out: string; eventType?: Record<string, string>; itemIdPath: string; eventValue: boolean },
      ) => {
        const mapping: RelayMapping = {
          eventTypes: options.eventType ?? DEFAULT_EVENT_TYPES,
          itemIdPath: options.itemIdPath,
          eventValue: options.eventValue,
        };
        const run = await relayFile(events, { out: options.out, mapping }, console);
        process.exitCode = run.status;
      },
    );
};

function collectEventType(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const at = value.lastIndexOf('=');
  if (at <= 0 || at === value.length - 1)
    throw new InvalidArgumentError(
      'expected "Segment event name=Personalize event type", e.g. "Product Viewed=View"',
    );
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Maps every line of the file and appends the rows; reports counts only (no customer ID on screen). */
export async function relayFile(file: string, options: RelayRunOptions, out: Console): Promise<RelayRun> {
  if (!(await stat(file).catch(() => undefined))?.isFile())
    throw new UserFacingError(`${file}: no such file`);
  const interactions = path.join(options.out, INTERACTIONS_FILE);
  const report = path.join(options.out, REJECTED_FILE);
  await mkdir(path.dirname(interactions), { recursive: true });
  await mkdir(path.dirname(report), { recursive: true });
  const prefix = await appendPrefixOf(interactions);

  const rows = createWriteStream(interactions, { flags: 'a' });
  const rejections = createWriteStream(report);
  const counts = { lines: 0, appended: 0, rejected: 0 };
  try {
    if (prefix) await write(rows, prefix);
    await write(rejections, reportCsv([['line', 'reason']]));
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const outcome of interactionRowsOf(lines, options.mapping)) {
      counts.lines = outcome.line;
      if ('reason' in outcome) {
        counts.rejected++;
        await write(rejections, reportCsv([[outcome.line, outcome.reason]]));
      } else {
        counts.appended += outcome.rows.length;
        await write(rows, stringify(outcome.rows as unknown as string[][]));
      }
    }
  } finally {
    await Promise.all([close(rows), close(rejections)]);
  }

  out.log(
    `${file}: ${counts.appended} interactions appended to ${interactions}, ${counts.rejected} events rejected`,
  );
  if (counts.rejected > 0) out.error(`every rejected event, with its line and reason: ${report}`);
  return { status: counts.rejected > 0 ? 2 : 0, ...counts, interactions, report };
}

/**
 * What goes before the first appended row: the header for a new file, a line break for a file
 * that does not end with one. A file with other columns is refused rather than corrupted.
 */
async function appendPrefixOf(file: string): Promise<string> {
  const header = INTERACTIONS_HEADER.join(',');
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size === 0) return `${header}\n`;
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    const firstLine = head
      .toString('utf8')
      .split(/\r?\n/, 1)[0]!
      .replace(/^\uFEFF/, '');
    if (firstLine.trim().toUpperCase() !== header)
      throw new UserFacingError(
        `${file}: its header is "${firstLine.slice(0, 100)}", not ${header}; the relay appends only to a file with exactly these columns`,
      );
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last.toString() === '\n' ? '' : '\n';
  } finally {
    await handle.close();
  }
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

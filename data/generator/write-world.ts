/** The imperative shell: streams the generated world into CSV files and writes the summary. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserFacingError } from '../../lambdas/core/errors';
import { CsvFileWriter } from './csv-writer';
import { GENRES } from './catalog';
import {
  OUTPUT_FILES,
  SEGMENT_OUTPUT_FILE,
  SEGMENT_USERS_PER_GENRE,
  SUMMARY_FILE,
  type CustomerFile,
  type OutputFile,
} from './files';
import { sampleTrainingJson, TRAINING_FILE } from './training';
import {
  type MessageCounter,
  SEGMENT_EVENT_CUSTOMERS,
  SEGMENT_EVENTS_FILE,
  segmentEventLinesOf,
} from './segment-events';
import { createTally, summaryOf, tallyCustomer, type WorldSummary } from './summary';
import { createWorld, itemRowOf } from './world-records';
import type { WorldOptions } from './world';

export interface GenerateOptions extends WorldOptions {
  /** Folder to write into; created if missing. Files already there with our names are replaced. */
  readonly outDir: string;
}

export interface GenerationReport {
  /** Every file written, relative to outDir, with its data rows (header not counted). */
  readonly files: readonly { readonly path: string; readonly rows: number }[];
  readonly summary: WorldSummary;
}

export async function generateSampleData(options: GenerateOptions): Promise<GenerationReport> {
  const world = createWorld(options);
  const names = Object.keys(OUTPUT_FILES) as OutputFile[];
  const writers = {} as Record<OutputFile, CsvFileWriter>;
  try {
    for (const name of names) {
      const spec = OUTPUT_FILES[name];
      writers[name] = await CsvFileWriter.open(join(options.outDir, spec.path), spec.columns);
    }
  } catch (error) {
    await Promise.allSettled(Object.values(writers).map((writer) => writer.close()));
    throw new UserFacingError(
      `cannot write the sample data into ${options.outDir} (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  const customerFiles = names.filter((name): name is CustomerFile => name !== 'items');
  const tally = createTally();
  const segments = new Map<string, string[]>(GENRES.map((genre) => [genre, []]));
  const prices = new Map(world.items.map((item) => [item.id, item.price]));
  const segmentEvents: string[] = [];
  const counter: MessageCounter = { next: 0 };
  try {
    for (const item of world.items) await writers.items.write(itemRowOf(item));
    for (const records of world.customerRecords) {
      for (const name of customerFiles) await writers[name].writeAll(records.rows[name]);
      tallyCustomer(tally, records);
      const members = segments.get(records.customer.favouriteGenre)!;
      if (members.length < SEGMENT_USERS_PER_GENRE) members.push(records.customer.id);
      if (records.customer.index < SEGMENT_EVENT_CUSTOMERS)
        segmentEvents.push(...segmentEventLinesOf(records.rows.webEvents, (id) => prices.get(id), counter));
    }
  } finally {
    await Promise.all(names.map((name) => writers[name].close()));
  }

  const rows = Object.fromEntries(names.map((name) => [OUTPUT_FILES[name].path, writers[name].rows]));
  const summary = summaryOf(options, world.items.length, tally, rows);
  await writeFile(join(options.outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  await mkdir(dirname(join(options.outDir, SEGMENT_OUTPUT_FILE)), { recursive: true });
  await writeFile(join(options.outDir, SEGMENT_OUTPUT_FILE), segmentOutputOf(segments));
  await writeFile(join(options.outDir, TRAINING_FILE), sampleTrainingJson());
  await mkdir(dirname(join(options.outDir, SEGMENT_EVENTS_FILE)), { recursive: true });
  await writeFile(
    join(options.outDir, SEGMENT_EVENTS_FILE),
    segmentEvents.map((line) => `${line}\n`).join(''),
  );
  return {
    files: [
      ...names.map((name) => ({ path: OUTPUT_FILES[name].path, rows: writers[name].rows })),
      { path: SUMMARY_FILE, rows: 1 },
      { path: SEGMENT_OUTPUT_FILE, rows: segments.size },
      { path: TRAINING_FILE, rows: 1 },
      { path: SEGMENT_EVENTS_FILE, rows: segmentEvents.length },
    ],
    summary,
  };
}

/** One line per genre in the first shape Personalize writes (`input`, `output.usersList`, `error`). */
function segmentOutputOf(segments: ReadonlyMap<string, readonly string[]>): string {
  const lines = [...segments].map(([genre, usersList]) =>
    JSON.stringify({
      input: { itemAttributes: `ITEMS.genres = "${genre}"` },
      output: { usersList },
      error: null,
    }),
  );
  return `${lines.join('\n')}\n`;
}

import { DEFAULT_MAX_BAD_SHARE } from '../ingest/ingest-file';
import { FileProblem, readDatasetRows } from '../ingest/read-rows';
import type { ObjectStore } from '../ports/object-store';
import { cellHolds, checkQueries, MAX_METADATA_FIELDS, type WantedValue } from './query-checks';
import { datasetForSchema, metadataFields, type TrainingDataset } from './schema-datasets';
import type { TrainingConfig } from './training-config';

/**
 * Personalize's documented minimums for training (Amazon Personalize endpoints and quotas, and
 * "Preparing training data"): 1,000 item interactions, and 25 users with at least 2 interactions.
 */
export const MIN_INTERACTIONS = 1000;
export const MIN_USERS_WITH_TWO_INTERACTIONS = 25;
/** At most 10 distinct event types and optional interactions metadata columns combined (quotas). */
export const MAX_EVENT_TYPES_AND_METADATA = 10;

/** One thing wrong, where a person can find it. */
export interface PreflightProblem {
  /** `interactions.csv`, `training.json`, … (the key, relative to the prefix). */
  readonly file: string;
  /** The CSV line, when the problem is in one row or the header. */
  readonly line?: number;
  /** The CSV column, or the place in training.json (`batchSegmentJobs[0].queries[2]`). */
  readonly where?: string;
  readonly reason: string;
  /**
   * `error`: training cannot start. `warning`: a bad row below the threshold; it is left out and
   * the run goes on with the good rows.
   */
  readonly severity: 'error' | 'warning';
}

export interface PreflightFileCounts {
  readonly file: string;
  /** Data rows read. */
  readonly rows: number;
  readonly good: number;
  readonly bad: number;
}

export interface PreflightCounts {
  /** Good interactions rows. */
  readonly interactions: number;
  /** Distinct users in the interactions. */
  readonly users: number;
  readonly usersWithTwoInteractions: number;
  readonly eventTypes: number;
  /** Good items rows (0 without items.csv). */
  readonly items: number;
  readonly files: readonly PreflightFileCounts[];
}

export interface PreflightResult {
  /** True when training can start: no problem of severity `error`. */
  readonly ok: boolean;
  /** Every problem, errors and warnings, in the order found. */
  readonly problems: readonly PreflightProblem[];
  readonly counts: PreflightCounts;
}

export interface PreflightOptions {
  /** Where the CSVs are in the store: `personalize/<group>/` in the landing zone, `''` for a folder. */
  readonly prefix?: string;
  /** Share of bad rows (0–1) above which a file fails the run. Default: ingestion's 5%. */
  readonly maxBadShare?: number;
  /** Called now and then with the file being read and its bytes read so far. */
  readonly onProgress?: (file: string, bytes: number) => void;
}

const FILES: Record<TrainingDataset, string> = {
  interactions: 'interactions.csv',
  items: 'items.csv',
  users: 'users.csv',
};

/**
 * Checks that Personalize training can start on `<prefix>interactions.csv`, `items.csv` and the
 * optional `users.csv` with this training config, before any money is spent. Streams each CSV through
 * the ingestion engine (`readDatasetRows`) with the dataset definitions narrowed to the config's
 * schemas, then checks Personalize's minimums, the recipe's needs and the batch segment queries.
 * Reads the store only; never throws for bad data (every problem is in the result).
 */
export async function preflightTraining(
  store: ObjectStore,
  config: TrainingConfig,
  options: PreflightOptions = {},
): Promise<PreflightResult> {
  const prefix = options.prefix ?? '';
  const maxBadShare = options.maxBadShare ?? DEFAULT_MAX_BAD_SHARE;
  const problems: PreflightProblem[] = [];
  const error = (file: string, reason: string, where?: string, line?: number) =>
    problems.push({
      file,
      reason,
      severity: 'error',
      ...(where ? { where } : {}),
      ...(line ? { line } : {}),
    });

  const queries = checkQueries(config);
  for (const problem of queries.problems) error('training.json', problem.reason, problem.path);
  const wanted = queries.wanted;
  const found = new Set<WantedValue>();

  const perUser = new Map<string, 1 | 2>();
  const eventTypes = new Set<string>();
  const fileCounts: PreflightFileCounts[] = [];

  const scan = async (
    dataset: TrainingDataset,
    onRow: (cell: (column: string) => string | number | Date | null) => void,
  ): Promise<(PreflightFileCounts & { complete: boolean }) | undefined> => {
    const file = FILES[dataset];
    const key = `${prefix}${file}`;
    if (!(await store.head(key))) return undefined;
    const definition = datasetForSchema(dataset, config.schemas[dataset].fields);
    const counts = { file, rows: 0, good: 0, bad: 0 };
    const rowProblems: PreflightProblem[] = [];
    let index = new Map<string, number>();
    try {
      for await (const record of readDatasetRows(await store.get(key), definition, file)) {
        if (record.kind === 'header') {
          index = new Map(record.columns.map((column, i) => [column.name.toUpperCase(), i]));
          continue;
        }
        counts.rows++;
        if (record.kind === 'invalid') {
          counts.bad++;
          for (const problem of record.problems) {
            rowProblems.push({
              file,
              line: problem.line,
              reason: problem.reason,
              severity: 'warning',
              ...(problem.column ? { where: problem.column } : {}),
            });
          }
        } else {
          counts.good++;
          const values = record.values;
          onRow((column) => {
            const at = index.get(column);
            return at === undefined ? null : (values[at] ?? null);
          });
        }
        if (counts.rows % 10_000 === 0) options.onProgress?.(file, record.bytes);
      }
    } catch (caught) {
      if (!(caught instanceof FileProblem)) throw caught;
      problems.push({ file, line: caught.line, reason: caught.reason, severity: 'error' });
      fileCounts.push(counts);
      return { ...counts, complete: false };
    }
    const tooMany = counts.rows > 0 && counts.bad / counts.rows > maxBadShare;
    problems.push(...rowProblems.map((p) => (tooMany ? { ...p, severity: 'error' as const } : p)));
    if (tooMany) {
      error(
        file,
        `${counts.bad} of ${counts.rows} rows are bad (${percent(counts.bad / counts.rows)}), above the ${percent(maxBadShare)} a run accepts; fix the rows listed`,
      );
    }
    fileCounts.push(counts);
    return { ...counts, complete: true };
  };

  const interactions = await scan('interactions', (cell) => {
    const user = String(cell('USER_ID'));
    perUser.set(user, perUser.has(user) ? 2 : 1);
    const eventType = cell('EVENT_TYPE');
    if (eventType !== null && eventTypes.size <= MAX_EVENT_TYPES_AND_METADATA)
      eventTypes.add(String(eventType));
    const item = cell('ITEM_ID');
    for (const value of wanted)
      if (value.column === 'ITEM_ID' && String(item) === value.value) found.add(value);
  });
  if (!interactions) {
    error(
      FILES.interactions,
      'is missing; training needs the item interactions (USER_ID, ITEM_ID, TIMESTAMP)',
    );
  }
  const items = await scan('items', (cell) => {
    for (const value of wanted) {
      if (found.has(value)) continue;
      const held = cell(value.column);
      if (value.column === 'ITEM_ID' ? String(held) === value.value : cellHolds(held, value.value))
        found.add(value);
    }
  });
  if (!items && config.recipe === 'aws-item-attribute-affinity') {
    error(FILES.items, 'is missing; aws-item-attribute-affinity trains on the items and their attributes');
  }
  await scan('users', () => undefined);

  const usersWithTwo = [...perUser.values()].filter((count) => count === 2).length;
  if (interactions && interactions.good < MIN_INTERACTIONS) {
    error(
      FILES.interactions,
      `holds ${interactions.good} good interactions; Personalize needs at least ${MIN_INTERACTIONS.toLocaleString('en-US')} to train`,
    );
  }
  if (interactions && usersWithTwo < MIN_USERS_WITH_TWO_INTERACTIONS) {
    error(
      FILES.interactions,
      `has ${usersWithTwo} users with 2 or more interactions; Personalize needs at least ${MIN_USERS_WITH_TWO_INTERACTIONS}`,
    );
  }
  const interactionsMetadata = metadataFields(config, 'interactions').length;
  if (
    interactionsMetadata <= MAX_METADATA_FIELDS.interactions &&
    eventTypes.size + interactionsMetadata > MAX_EVENT_TYPES_AND_METADATA
  ) {
    error(
      FILES.interactions,
      `has more than ${MAX_EVENT_TYPES_AND_METADATA - interactionsMetadata} event types with ${interactionsMetadata} metadata column(s); Personalize takes at most ${MAX_EVENT_TYPES_AND_METADATA} event types and metadata columns together`,
      'EVENT_TYPE',
    );
  }
  // A value no item has gives an empty segment after an hour of training: say so before.
  const lookedIn = config.recipe === 'aws-item-affinity' ? 'the items or the interactions' : 'items.csv';
  // Only a file read to its end can show that a value is missing.
  const searched =
    config.recipe === 'aws-item-affinity' ? interactions?.complete || items?.complete : items?.complete;
  if (searched) {
    for (const value of wanted) {
      if (found.has(value)) continue;
      error(
        'training.json',
        `asks for ${value.column} = "${value.value}", which no row of ${lookedIn} holds; fix the value or the data`,
        value.path,
      );
    }
  }

  return {
    ok: problems.every((problem) => problem.severity !== 'error'),
    problems,
    counts: {
      interactions: interactions?.good ?? 0,
      users: perUser.size,
      usersWithTwoInteractions: usersWithTwo,
      eventTypes: eventTypes.size,
      items: items?.good ?? 0,
      files: fileCounts,
    },
  };
}

const percent = (share: number) => `${(100 * share).toFixed(share < 0.01 ? 2 : 1)}%`;

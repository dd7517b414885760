import {
  categoricalType,
  type ColumnType,
  decimalType,
  enumType,
  integerType,
  textType,
} from '../ingest/column-types';
import { type ColumnDefinition, type DatasetDefinition, datasetForKey } from '../ingest/datasets';
import type { SchemaField, TrainingConfig } from './training-config';

/** The Personalize datasets a training run imports, in import order. */
export const TRAINING_DATASETS = ['interactions', 'items', 'users'] as const;
export type TrainingDataset = (typeof TRAINING_DATASETS)[number];

/** Personalize's limit on unstructured text in a textual field. */
const TEXTUAL_MAX = 20_000;

/**
 * The ingestion engine's definition of a Personalize dataset, narrowed to the columns its
 * training.json schema declares: the engine's own column types where it has them (IDs of at most
 * 256 characters, epoch-second timestamps), the schema's Avro types for metadata, and any header
 * column the schema does not declare refused (Personalize's import fails on it).
 */
export function datasetForSchema(
  dataset: TrainingDataset,
  fields: readonly SchemaField[],
): DatasetDefinition {
  const base = datasetForKey(`personalize/${dataset}.csv`);
  if (!base) throw new Error(`no dataset definition for personalize/${dataset}.csv`);
  const columns: ColumnDefinition[] = fields.map((field) => {
    const known = base.columns.find((column) => column.name.toUpperCase() === field.name.toUpperCase());
    return {
      name: known?.name ?? field.name,
      type: known?.type ?? typeOf(field),
      required: !field.nullable,
      description: known?.description ?? `${field.type}${field.categorical ? ', categorical' : ''}`,
    };
  });
  return { ...base, columns, extraColumns: 'reject' };
}

function typeOf(field: SchemaField): ColumnType {
  switch (field.type) {
    case 'string':
      if (field.categorical) return categoricalType;
      return textType(field.textual ? TEXTUAL_MAX : 1000);
    case 'int':
    case 'long':
      return integerType();
    case 'float':
    case 'double':
      return decimalType();
    case 'boolean':
      return enumType(['true', 'false']);
  }
}

/** Reserved field names that are not metadata, per dataset (they do not count against the metadata limits). */
export const RESERVED_FIELDS: Record<TrainingDataset, readonly string[]> = {
  interactions: [
    'USER_ID',
    'ITEM_ID',
    'TIMESTAMP',
    'EVENT_TYPE',
    'EVENT_VALUE',
    'IMPRESSION',
    'RECOMMENDATION_ID',
  ],
  items: ['ITEM_ID', 'CREATION_TIMESTAMP'],
  users: ['USER_ID'],
};

/** The metadata fields of a dataset's schema (reserved fields excluded). */
export function metadataFields(config: TrainingConfig, dataset: TrainingDataset): SchemaField[] {
  return config.schemas[dataset].fields.filter(
    (field) => !RESERVED_FIELDS[dataset].includes(field.name.toUpperCase()),
  );
}

import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { StorageType } from '../../lambdas/core/ingest/column-types';
import { datasetDefinitions } from '../../lambdas/core/ingest/datasets';
import { trustedFolderOf } from '../../lambdas/core/ingest/ingest-file';
import {
  IDENTITY_MAP_COLUMNS,
  IDENTITY_MAP_KEY,
  PROFILE_COLUMNS,
  PROFILES_KEY,
} from '../../lambdas/core/identity/identity-run';
import type { DataLake } from './data-lake';

/** Props of the trusted-zone catalog. */
export interface TrustedCatalogProps {
  /** The trusted bucket the tables read. */
  readonly dataLake: DataLake;
  /** Glue database name: lowercase letters, digits and underscores. */
  readonly databaseName: string;
  /** First day partition projection offers to queries (`YYYY-MM-DD`). */
  readonly firstIngestDate?: string;
}

/** Glue/Athena types of the storage types the core writes (timestamps are Parquet TIMESTAMP_MILLIS, UTC). */
const GLUE_TYPE: Record<StorageType, string> = {
  string: 'string',
  double: 'double',
  bigint: 'bigint',
  timestamp: 'timestamp',
};

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: {
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    parameters: { 'serialization.format': '1' },
  },
};

/**
 * The Glue database and tables that let Athena query the trusted zone: one table per Parquet
 * dataset (columns from the dataset definitions, partitioned by `ingest_date` with partition
 * projection, so no crawler and no `MSCK REPAIR` is needed), plus `identity_map` and `profiles`.
 * L1 resources: aws-cdk-lib has no stable Glue L2.
 */
export class TrustedCatalog extends Construct {
  /** The database. */
  readonly database: glue.CfnDatabase;
  /** Every table, by name. */
  readonly tables: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: TrustedCatalogProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const bucket = props.dataLake.trusted.bucketName;
    const s3Url = (folder: string) => `s3://${bucket}/${folder}`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: props.databaseName,
        description: 'cdp-audiences trusted zone: validated datasets and resolved identities',
      },
    });
    const tables = new Map<string, glue.CfnTable>();
    const table = (
      name: string,
      description: string,
      folder: string,
      columns: readonly { name: string; storage: StorageType }[],
      partitioned: boolean,
    ) => {
      const projection = partitioned
        ? {
            'projection.enabled': 'true',
            'projection.ingest_date.type': 'date',
            'projection.ingest_date.format': 'yyyy-MM-dd',
            'projection.ingest_date.range': `${props.firstIngestDate ?? '2020-01-01'},NOW`,
            'projection.ingest_date.interval': '1',
            'projection.ingest_date.interval.unit': 'DAYS',
            'storage.location.template': `${s3Url(folder)}ingest_date=\${ingest_date}/`,
          }
        : {};
      // Athena column names are lowercase letters, digits and `_`. Where a header is not
      // (pinpoint's `User.UserId`), the table maps Parquet columns by position instead of by name:
      // the core writes the declared columns in declared order.
      const glueNames = columns.map((c) => c.name.toLowerCase().replace(/[^a-z0-9_]/g, '_'));
      const byIndex = glueNames.some((glueName, i) => glueName !== columns[i]!.name.toLowerCase());
      const resource = new glue.CfnTable(this, `Table-${name}`, {
        catalogId: account,
        // The database's Ref is its name, and orders the table after it.
        databaseName: this.database.ref,
        tableInput: {
          name,
          description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', EXTERNAL: 'TRUE', ...projection },
          partitionKeys: partitioned ? [{ name: 'ingest_date', type: 'string' }] : [],
          storageDescriptor: {
            location: s3Url(folder),
            columns: columns.map((c, i) => ({ name: glueNames[i]!, type: GLUE_TYPE[c.storage] })),
            ...PARQUET,
            serdeInfo: {
              ...PARQUET.serdeInfo,
              parameters: {
                ...PARQUET.serdeInfo.parameters,
                ...(byIndex ? { 'parquet.column.index.access': 'true' } : {}),
              },
            },
          },
        },
      });
      tables.set(name, resource);
    };

    for (const dataset of datasetDefinitions()) {
      if (dataset.output !== 'parquet' || !dataset.table) continue;
      table(
        dataset.table,
        dataset.description,
        trustedFolderOf(dataset),
        dataset.columns.map((c) => ({ name: c.name, storage: c.type.storage })),
        true,
      );
    }
    const folderOf = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);
    table(
      'identity_map',
      'One row per CRM record, store receipt and web device, with its customer_id.',
      folderOf(IDENTITY_MAP_KEY),
      IDENTITY_MAP_COLUMNS,
      false,
    );
    table(
      'profiles',
      'One row per customer: the best-known attributes and the record each came from.',
      folderOf(PROFILES_KEY),
      PROFILE_COLUMNS,
      false,
    );
    this.tables = tables;
  }
}

import { existsSync, readdirSync } from 'node:fs';
import { IDENTITY_MAP_KEY } from '../../core/identity/identity-run';
import path from 'node:path';
import {
  type DuckDBConnection,
  type DuckDBDoubleVector,
  DuckDBInstance,
  type DuckDBIntegerVector,
} from '@duckdb/node-api';
import { UserFacingError } from '../../core/errors';
import type { FeatureTable } from '../../core/propensity/feature-table';
import {
  FEATURE_NAMES,
  featuresQuery,
  type FeaturesQueryOptions,
  ID_COLUMNS,
  LABEL_COLUMNS,
} from '../../core/propensity/features-sql';

/**
 * Runs the propensity SQL on DuckDB over a local trusted zone (`<dir>/trusted/…`, as `cdp ingest`
 * writes it): one view per Glue table, named like it, over the same Parquet files Athena reads.
 */

/** Glue table -> trusted-zone folder, and the columns an empty table gets when no file exists. */
const TABLES = {
  crm_customers: { folder: 'crm/customers', empty: 'customer_id VARCHAR, created_at TIMESTAMP' },
  web_orders: {
    folder: 'web/orders',
    empty: 'order_id VARCHAR, customer_id VARCHAR, amount DOUBLE, ordered_at TIMESTAMP',
  },
  store_sales: { folder: 'store/sales', empty: 'receipt_id VARCHAR, amount DOUBLE, sold_at TIMESTAMP' },
  web_events: {
    folder: 'web/events',
    empty: 'anonymous_id VARCHAR, customer_id VARCHAR, event VARCHAR, "timestamp" TIMESTAMP',
  },
} as const;

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

function hasParquet(folder: string): boolean {
  if (!existsSync(folder)) return false;
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.parquet'));
}

export class DuckDbFeatures {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens an in-memory DuckDB with the trusted zone's tables as views. */
  static async open(zoneDir: string): Promise<DuckDbFeatures> {
    const trusted = path.join(zoneDir, 'trusted');
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    const features = new DuckDbFeatures(instance, connection);
    for (const [table, { folder, empty }] of Object.entries(TABLES)) {
      const dir = path.join(trusted, folder);
      if (!hasParquet(dir)) {
        if (table === 'crm_customers') throw new UserFacingError(`${dir}: no CRM customers to score`);
        await connection.run(`CREATE TABLE ${table} (${empty})`);
        continue;
      }
      // The ingest_date partition is not a column the SQL uses; union_by_name tolerates files
      // written before a column was added.
      await connection.run(
        `CREATE VIEW ${table} AS SELECT * FROM read_parquet(${quote(`${dir}/**/*.parquet`)}, hive_partitioning = false, union_by_name = true)`,
      );
    }
    // The same key the identity resolution writes, so the two can never drift apart.
    const identityMap = path.join(zoneDir, IDENTITY_MAP_KEY);
    if (existsSync(identityMap)) {
      await connection.run(`CREATE VIEW identity_map AS SELECT * FROM read_parquet(${quote(identityMap)})`);
    } else {
      // Without identity resolution, store receipts cannot be attributed; web orders keep their customer_id.
      await connection.run(
        'CREATE TABLE identity_map (source VARCHAR, source_id VARCHAR, customer_id VARCHAR)',
      );
    }
    return features;
  }

  /** The latest timestamp of any purchase or web event: the default as-of date. */
  async latestTimestamp(): Promise<Date | undefined> {
    const reader = await this.connection.runAndReadAll(
      `SELECT CAST(epoch_ms(MAX(ts)) AS DOUBLE) AS ms FROM (
         SELECT MAX(ordered_at) AS ts FROM web_orders
         UNION ALL SELECT MAX(sold_at) FROM store_sales
         UNION ALL SELECT MAX("timestamp") FROM web_events) t`,
    );
    const ms = reader.getRows()[0]?.[0];
    return typeof ms === 'number' ? new Date(ms) : undefined;
  }

  /** CRM customer records (rows of crm_customers): what sizes the training sample. */
  async crmRecords(): Promise<number> {
    const reader = await this.connection.runAndReadAll('SELECT CAST(COUNT(*) AS DOUBLE) FROM crm_customers');
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /**
   * Runs the features query and reads it into typed columns, straight from DuckDB's result vectors
   * (typed arrays filled per column and chunk, no JS array of values per cell); NULL becomes NaN.
   *
   * `trainingShare` (0 < share ≤ 1) keeps the rows of the training cutoffs (cutoff_index > 0) of
   * that share of profiles only, chosen by a hash of the profile ID, so a customer is in or out at
   * every cutoff; the as-of rows (cutoff 0) are always all kept. The query itself samples
   * (`FeaturesQueryOptions.trainingShare`), before purchases and visits meet the cutoffs.
   */
  async featureTable(options: FeaturesQueryOptions, trainingShare = 1): Promise<FeatureTable> {
    if (!(trainingShare > 0 && trainingShare <= 1))
      throw new Error(`training share ${trainingShare} is not in (0, 1]`);
    const numeric = [...FEATURE_NAMES, ...LABEL_COLUMNS];
    const sql = `SELECT ${ID_COLUMNS.slice(0, 2).join(', ')}, CAST(cutoff_index AS INTEGER) AS cutoff_index, ${numeric
      .map((c) => `CAST(${c} AS DOUBLE) AS ${c}`)
      .join(', ')}
FROM (${featuresQuery({ ...options, trainingShare }, 'duckdb')}) q`;
    const result = await this.connection.stream(sql);
    const customerIds: string[] = [];
    const profileIds: string[] = [];
    const cutoffChunks: Int32Array[] = [];
    const chunks: Float64Array[][] = numeric.map(() => []);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const v of chunk.getColumnValues(0)) customerIds.push(String(v));
      for (const v of chunk.getColumnValues(1)) profileIds.push(String(v));
      const size = chunk.rowCount;
      const cutoffVector = chunk.getColumnVector(2) as DuckDBIntegerVector;
      cutoffChunks.push(Int32Array.from({ length: size }, (_, i) => cutoffVector.getItem(i) ?? -1));
      numeric.forEach((_, c) => {
        const vector = chunk.getColumnVector(c + ID_COLUMNS.length) as DuckDBDoubleVector;
        const part = new Float64Array(size);
        for (let i = 0; i < size; i++) part[i] = vector.getItem(i) ?? Number.NaN;
        chunks[c]!.push(part);
      });
    }
    const rows = customerIds.length;
    const concat = <T extends Float64Array | Int32Array>(parts: T[], into: T): T => {
      let at = 0;
      for (const part of parts) {
        into.set(part, at);
        at += part.length;
      }
      return into;
    };
    const typed = chunks.map((parts) => concat(parts, new Float64Array(rows)));
    return {
      rows,
      customerIds,
      profileIds,
      cutoffIndex: concat(cutoffChunks, new Int32Array(rows)),
      features: typed.slice(0, FEATURE_NAMES.length),
      purchasesInChurnWindow: typed[FEATURE_NAMES.length]!,
      purchasesInRepurchaseWindow: typed[FEATURE_NAMES.length + 1]!,
    };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * The rows of the features query, column by column: what either engine's runner hands the models.
 * Numbers are Float64Array columns with NaN for SQL NULL ("never"), so a million customers times a
 * few cutoffs stay a few hundred MB instead of millions of objects.
 */
export interface FeatureTable {
  readonly rows: number;
  readonly customerIds: readonly string[];
  readonly profileIds: readonly string[];
  readonly cutoffIndex: Int32Array;
  /** One column per FEATURE_NAMES entry, same order. */
  readonly features: readonly Float64Array[];
  readonly purchasesInChurnWindow: Float64Array;
  readonly purchasesInRepurchaseWindow: Float64Array;
}

/** The row indices of one cutoff. */
export function rowsOfCutoff(table: FeatureTable, cutoffIndex: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < table.rows; i++) if (table.cutoffIndex[i] === cutoffIndex) rows.push(i);
  return rows;
}

import { stringify } from 'csv-stringify/sync';
import type { RowEncoder } from './parquet-rows';
import type { CellValue } from './read-rows';

/**
 * Encodes rows as CSV with a header, for consumers that import CSV (Personalize). Numbers are
 * written as they are (epoch seconds stay integers), timestamps as ISO 8601, nulls as empty cells.
 */
export function csvEncoder(header: readonly string[]): RowEncoder {
  let started = false;
  let pending: (readonly CellValue[])[] = [];
  const encode = (rows: readonly (readonly CellValue[])[]): Uint8Array[] => {
    const chunks: Uint8Array[] = [];
    if (!started) {
      chunks.push(Buffer.from(stringify([header])));
      started = true;
    }
    if (rows.length > 0) chunks.push(Buffer.from(stringify(rows.map((row) => row.map(cellText)))));
    return chunks;
  };
  return {
    add(row) {
      pending.push(row);
      if (pending.length < CSV_BATCH_ROWS) return undefined;
      const rows = pending;
      pending = [];
      return encode(rows);
    },
    encode(rows) {
      const before = pending;
      pending = [];
      return encode(before.length > 0 ? [...before, ...rows] : rows);
    },
    finish() {
      const rows = pending;
      pending = [];
      return rows.length > 0 || !started ? encode(rows) : [];
    },
  };
}

/** Rows `add` collects before it writes them as one CSV chunk. */
const CSV_BATCH_ROWS = 4096;

function cellText(value: CellValue): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return
 * first) gets a leading apostrophe, so a quarantine report opened in Excel shows the text and
 * runs nothing (OWASP's CSV injection advice). Only for CSVs written for people to open.
 */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** CSV lines for people to open: every cell neutralised. */
export function reportCsv(rows: readonly (readonly (string | number)[])[]): string {
  return stringify(rows.map((row) => row.map((cell) => neutraliseFormula(String(cell)))));
}

import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { StorageType } from './column-types';
import type { CellValue } from './read-rows';

/** A column of a Parquet file we write. */
export interface ParquetColumn {
  readonly name: string;
  readonly storage: StorageType;
}

/** Rows per row group: large enough for Athena to skip by statistics, small enough to keep memory flat. */
export const ROW_GROUP_ROWS = 50_000;

const SCHEMA_TYPE = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  double: { type: 'DOUBLE' },
  bigint: { type: 'INT64' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
} as const;

/**
 * A ByteWriter that hands its bytes on after every row group instead of growing: the file is
 * streamed out while it is written, and memory holds one row group at most.
 */
class ChunkingWriter extends ByteWriter {
  readonly chunks: Uint8Array[] = [];

  flush(): void {
    this.chunks.push(this.getBytes().slice());
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

/** Turns batches of rows into the bytes of one file: Parquet for Athena, CSV for Personalize. */
export interface RowEncoder {
  /** Encodes a batch; returns the bytes ready to be written (possibly none). */
  encode(rows: readonly (readonly CellValue[])[]): Uint8Array[];
  /** Ends the file; returns its last bytes. */
  finish(): Uint8Array[];
}

/**
 * Encodes rows as one Parquet file (snappy, nullable columns, UTC millisecond timestamps): each
 * batch becomes one row group, and its bytes are handed out at once, so memory holds one batch.
 */
export function parquetEncoder(columns: readonly ParquetColumn[]): RowEncoder {
  const writer = new ChunkingWriter();
  const parquet = new ParquetWriter({
    writer,
    createdBy: 'cdp-audiences',
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map((c) => ({
        name: c.name,
        repetition_type: 'OPTIONAL' as const,
        ...SCHEMA_TYPE[c.storage],
      })),
    ],
  });
  return {
    encode(rows) {
      if (rows.length === 0) return [];
      // Synchronous: ChunkingWriter.flush returns nothing, so the writer never waits.
      void parquet.write({
        rowGroupSize: rows.length,
        columnData: columns.map((c, i) => ({
          name: c.name,
          data: rows.map((row) => toParquet(row[i] ?? null, c.storage)),
          // Min/max of text columns (IDs, names, emails in no order) lets Athena skip no row group,
          // and costs a string comparison per value; numbers and timestamps keep theirs.
          statistics: c.storage !== 'string',
        })),
      });
      return writer.chunks.splice(0);
    },
    finish() {
      void parquet.finish();
      return writer.chunks.splice(0);
    },
  };
}

function toParquet(value: CellValue, storage: StorageType): unknown {
  if (value === null) return null;
  if (storage === 'bigint') return BigInt(value instanceof Date ? value.getTime() : value);
  return value;
}

import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { StorageType } from './column-types';
import type { CellValue } from './read-rows';

// hyparquet-writer's own copy of hyparquet's metadata types.
type FileMetaData = Parameters<typeof writeMetadata>[1];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type SchemaElement = FileMetaData['schema'][number];
type Encoding = NonNullable<ColumnChunk['meta_data']>['encodings'][number];

/** A column of a Parquet file we write. */
export interface ParquetColumn {
  readonly name: string;
  readonly storage: StorageType;
}

/**
 * Rows per row group: large enough for Athena to skip by statistics and for dictionaries to pay,
 * small enough to keep memory flat (the columns buffer their encoded bytes, about 70 bytes a row
 * for store sales: some 9 MB, whatever the file's size).
 */
export const ROW_GROUP_ROWS = 131_072;

const SCHEMA_TYPE = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  double: { type: 'DOUBLE' },
  bigint: { type: 'INT64' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
} as const;

/** Turns rows into the bytes of one file: Parquet for Athena, CSV for Personalize. */
export interface RowEncoder {
  /** Takes one row; returns the bytes that became ready (a finished row group), if any. */
  add(row: readonly CellValue[]): Uint8Array[] | undefined;
  /** Takes a batch; returns the bytes ready to be written (possibly none). */
  encode(rows: readonly (readonly CellValue[])[]): Uint8Array[];
  /** Ends the file; returns its last bytes. */
  finish(): Uint8Array[];
}

/** A growable byte buffer, written at `length`. */
class Bytes {
  data = new Uint8Array(1 << 16);
  view = new DataView(this.data.buffer);
  length = 0;

  ensure(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
    this.view = new DataView(grown.buffer);
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

const utf8 = new TextEncoder();

/**
 * One column of the row group being built, kept as encoded bytes and typed arrays (no object per
 * value): definition levels (1 a value, 0 a null), then the PLAIN bytes of the non-null values.
 * A text column also builds a dictionary while it pays (fewer distinct values than half its
 * bytes), and is written dictionary-encoded when it still does at the end of the row group.
 */
class ColumnBuilder {
  readonly element: SchemaElement;
  private defs = new Uint8Array(1 << 12);
  rows = 0;
  private nulls = 0;
  private readonly plain = new Bytes();
  /** Non-null numbers (doubles, or the integers / milliseconds an INT64 column stores). */
  private numbers = new Float64Array(1 << 12);
  private min = Infinity;
  private max = -Infinity;
  private nans = 0;
  /** Text: value → dictionary index, while the dictionary is worth keeping. */
  private dictionary: Map<string, number> | undefined;
  private entries: string[] = [];
  private dictionaryBytes = 0;
  private indexes = new Int32Array(1 << 12);

  constructor(
    readonly column: ParquetColumn,
    private readonly statistics: boolean,
  ) {
    this.element = { name: column.name, repetition_type: 'OPTIONAL', ...SCHEMA_TYPE[column.storage] };
    if (column.storage === 'string') this.dictionary = new Map();
  }

  add(value: CellValue): void {
    const row = this.rows++;
    if (row === this.defs.length) this.defs = grow(this.defs);
    if (value === null || value === undefined) {
      this.defs[row] = 0;
      this.nulls++;
      return;
    }
    this.defs[row] = 1;
    const at = row - this.nulls;
    if (this.column.storage === 'string') {
      this.addText(typeof value === 'string' ? value : String(value), at);
      return;
    }
    const number =
      value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number(value);
    if (this.column.storage !== 'double' && !Number.isSafeInteger(number)) {
      throw new RangeError(`parquet INT64 value out of range: ${String(value)}`);
    }
    if (at === this.numbers.length) this.numbers = grow(this.numbers);
    this.numbers[at] = number;
    if (number !== number) this.nans++;
    else {
      if (number < this.min) this.min = number;
      if (number > this.max) this.max = number;
    }
  }

  /** Appends the value's PLAIN bytes (length, then UTF-8) and looks it up in the dictionary. */
  private addText(value: string, at: number): void {
    const plain = this.plain;
    plain.ensure(4 + value.length * 3);
    const data = plain.data;
    const start = plain.length + 4;
    let end = start;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        end = start + utf8.encodeInto(value, data.subarray(start)).written;
        break;
      }
      data[end++] = c;
    }
    plain.view.setUint32(plain.length, end - start, true);
    plain.length = end;
    const dictionary = this.dictionary;
    if (!dictionary) return;
    let index = dictionary.get(value);
    if (index === undefined) {
      index = this.entries.length;
      dictionary.set(value, index);
      this.entries.push(value);
      this.dictionaryBytes += 4 + end - start;
    }
    if (at === this.indexes.length) this.indexes = grow(this.indexes);
    this.indexes[at] = index;
    // A column of mostly distinct values (IDs, emails) stops paying for the map early: after every
    // 4,096 values, the dictionary must still be under half the PLAIN bytes.
    if ((at & 4095) === 4095 && 2 * this.dictionaryBytes > plain.length) this.dropDictionary();
  }

  private dropDictionary(): void {
    this.dictionary = undefined;
    this.entries = [];
  }

  /** Writes the column chunk of the row group and starts the next one. */
  write(writer: ByteWriter): ColumnChunk {
    const element = this.element;
    const offsetStart = writer.offset;
    const values = this.rows - this.nulls;
    let uncompressed = 0;
    let dictionaryOffset: bigint | undefined;
    let encoding: Encoding = 'PLAIN';
    let page: Uint8Array;
    if (this.dictionary && values > 0 && this.dictionaryWins(values)) {
      // The dictionary page: the distinct values, PLAIN.
      const entries = new Bytes();
      for (const entry of this.entries) {
        const bytes = utf8.encode(entry);
        entries.ensure(4 + bytes.length);
        entries.view.setUint32(entries.length, bytes.length, true);
        entries.data.set(bytes, entries.length + 4);
        entries.length += 4 + bytes.length;
      }
      dictionaryOffset = BigInt(writer.offset);
      const dictionaryBytes = entries.bytes();
      const compressed = snappyCompress(dictionaryBytes);
      const headerStart = writer.offset;
      writePageHeader(writer, {
        type: 'DICTIONARY_PAGE',
        uncompressed_page_size: dictionaryBytes.length,
        compressed_page_size: compressed.length,
        dictionary_page_header: { num_values: this.entries.length, encoding: 'PLAIN' },
      });
      uncompressed += writer.offset - headerStart + dictionaryBytes.length;
      writer.appendBytes(compressed);
      // The data page: the bit width, then the indexes (RLE / bit-packed hybrid).
      const indexes = new ByteWriter(values);
      const bitWidth = Math.ceil(Math.log2(this.entries.length));
      indexes.appendUint8(bitWidth);
      writeRleBitPackedHybrid(indexes, this.indexes.subarray(0, values), bitWidth);
      page = indexes.getBytes();
      encoding = 'RLE_DICTIONARY';
    } else if (this.column.storage === 'string') {
      page = this.plain.bytes();
    } else {
      page = this.numberPage(values);
    }
    const levels = new ByteWriter(64);
    const levelBytes = writeRleBitPackedHybrid(levels, this.defs.subarray(0, this.rows), 1);
    const compressed = snappyCompress(page);
    const dataOffset = BigInt(writer.offset);
    const headerStart = writer.offset;
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levelBytes + page.length,
      compressed_page_size: levelBytes + compressed.length,
      data_page_header_v2: {
        num_values: this.rows,
        num_nulls: this.nulls,
        num_rows: this.rows,
        encoding,
        definition_levels_byte_length: levelBytes,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    });
    uncompressed += writer.offset - headerStart + levelBytes + page.length;
    writer.appendBytes(levels.getBytes());
    writer.appendBytes(compressed);

    const chunk: ColumnChunk = {
      file_offset: BigInt(offsetStart),
      meta_data: {
        type: element.type!,
        encodings: dictionaryOffset === undefined ? ['PLAIN'] : ['PLAIN', 'RLE_DICTIONARY'],
        path_in_schema: [element.name],
        codec: 'SNAPPY',
        num_values: BigInt(this.rows),
        total_compressed_size: BigInt(writer.offset - offsetStart),
        total_uncompressed_size: BigInt(uncompressed),
        data_page_offset: dataOffset,
        dictionary_page_offset: dictionaryOffset,
        statistics: this.statistics ? this.chunkStatistics(values) : undefined,
        encoding_stats: this.statistics
          ? [
              ...(dictionaryOffset === undefined
                ? []
                : [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }]),
              { page_type: 'DATA_PAGE_V2', encoding, count: 1 },
            ]
          : undefined,
      },
    };
    this.reset();
    return chunk;
  }

  /** hyparquet-writer's rule: a dictionary and its indexes must at least halve the PLAIN bytes. */
  private dictionaryWins(values: number): boolean {
    const bitWidth = Math.ceil(Math.log2(this.entries.length));
    const indexBytes = Math.ceil((values * bitWidth) / 8);
    return 2 * (this.dictionaryBytes + indexBytes) <= this.plain.length;
  }

  /** The non-null numbers as PLAIN DOUBLE or INT64 (little-endian two's complement). */
  private numberPage(values: number): Uint8Array {
    const numbers = this.numbers;
    if (this.column.storage === 'double') {
      return new Uint8Array(numbers.slice(0, values).buffer);
    }
    const words = new Int32Array(values * 2);
    for (let i = 0; i < values; i++) {
      const value = numbers[i]!;
      const high = Math.floor(value / 4294967296);
      words[2 * i] = value - high * 4294967296;
      words[2 * i + 1] = high;
    }
    return new Uint8Array(words.buffer);
  }

  private chunkStatistics(values: number) {
    const isDouble = this.column.storage === 'double';
    const some = values - this.nans > 0;
    // Parquet: a zero minimum is written -0, a zero maximum +0.
    const min = some ? (this.min === 0 ? -0 : this.min) : undefined;
    const max = some ? (this.max === 0 ? 0 : this.max) : undefined;
    return {
      min_value: min,
      max_value: max,
      null_count: BigInt(this.nulls),
      ...(isDouble ? { nan_count: BigInt(this.nans) } : {}),
    };
  }

  private reset(): void {
    this.rows = 0;
    this.nulls = 0;
    this.plain.length = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.nans = 0;
    if (this.column.storage === 'string') {
      this.dictionary = new Map();
      this.entries = [];
      this.dictionaryBytes = 0;
    }
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * Encodes rows as one Parquet file (snappy, nullable columns, UTC millisecond timestamps, data
 * page v2). Rows go straight into per-column byte buffers and typed arrays, so no row is kept as
 * an object and memory holds one row group of encoded bytes; every `rowGroupRows` rows, the row
 * group's bytes are handed out. Text columns are dictionary-encoded when that halves their size,
 * PLAIN otherwise; numbers and timestamps are PLAIN with min/max statistics (text columns have
 * none: IDs, names and emails in no order let Athena skip no row group).
 * Page and footer encoding (thrift, RLE, snappy) are hyparquet-writer's.
 */
export function parquetEncoder(
  columns: readonly ParquetColumn[],
  rowGroupRows: number = ROW_GROUP_ROWS,
): RowEncoder {
  const writer = new ByteWriter(1 << 20);
  const builders = columns.map((c) => new ColumnBuilder(c, c.storage !== 'string'));
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...builders.map((b) => b.element),
  ];
  const rowGroups: RowGroup[] = [];
  let numRows = 0n;
  writer.appendUint32(0x31524150); // PAR1
  const take = (): Uint8Array[] => {
    const bytes = writer.getBytes().slice();
    writer.index = 0;
    return [bytes];
  };
  const writeGroup = (): void => {
    const rows = builders[0]?.rows ?? 0;
    if (rows === 0) return;
    const groupStart = writer.offset;
    const chunks = builders.map((b) => b.write(writer));
    let totalByteSize = 0n;
    for (const chunk of chunks) totalByteSize += chunk.meta_data!.total_uncompressed_size;
    rowGroups.push({
      columns: chunks,
      total_byte_size: totalByteSize,
      num_rows: BigInt(rows),
      total_compressed_size: BigInt(writer.offset - groupStart),
    });
    numRows += BigInt(rows);
  };
  const add = (row: readonly CellValue[]): Uint8Array[] | undefined => {
    for (let i = 0; i < builders.length; i++) builders[i]!.add(row[i] ?? null);
    if (builders[0]!.rows < rowGroupRows) return undefined;
    writeGroup();
    return take();
  };
  return {
    add,
    encode(rows) {
      const out: Uint8Array[] = [];
      for (const row of rows) {
        const ready = add(row);
        if (ready) out.push(...ready);
      }
      return out;
    },
    finish() {
      if (builders.length > 0) writeGroup();
      writeMetadata(writer, {
        version: 2,
        created_by: 'cdp-audiences',
        schema,
        num_rows: numRows,
        row_groups: rowGroups,
        metadata_length: 0,
      });
      writer.appendUint32(0x31524150); // PAR1
      return take();
    },
  };
}

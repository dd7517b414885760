/**
 * Splits CSV bytes into records without changing a byte: each record's raw bytes (with its line
 * end) plus its fields, so a rewrite can copy every other record exactly as it was. Quotes are
 * followed, so a quoted line break stays inside its field. Work is on bytes: `"`, `,` and line
 * feeds are ASCII, and never part of a multi-byte UTF-8 character.
 */
export interface CsvRecord {
  /** The record's bytes as stored, line end included. */
  readonly raw: Buffer;
  /** Its fields, unquoted (a leading byte-order mark is dropped). */
  readonly fields: string[];
}

export async function* csvRecords(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<CsvRecord> {
  let pending: Buffer = Buffer.alloc(0);
  let inQuotes = false;
  let scanned = 0;
  let first = true;
  const emit = (raw: Buffer): CsvRecord => {
    const record = { raw, fields: fieldsOf(raw, first) };
    first = false;
    return record;
  };
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, Buffer.from(chunk)]);
    let start = 0;
    for (let at = scanned; at < pending.length; at++) {
      const byte = pending[at]!;
      if (byte === 0x22) inQuotes = !inQuotes;
      else if (byte === 0x0a && !inQuotes) {
        yield emit(pending.subarray(start, at + 1));
        start = at + 1;
      }
    }
    pending = pending.subarray(start);
    scanned = pending.length;
  }
  if (pending.length > 0) yield emit(pending);
}

function fieldsOf(raw: Buffer, first: boolean): string[] {
  let text = raw.toString('utf8');
  if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r?\n$/, '');
  if (!text.includes('"')) return text.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { CsvFile } from './csv-file';
import { hashIdBytes, idHash, NEEDS_QUOTES } from './id-bytes';
import { IdHashSet } from './id-hash-set';

/**
 * Copies a one-column CSV file (header + rows) into `target` without repeated rows, keeping each
 * first occurrence in place. With `suspects`, only rows whose hash is in that set are tracked (the
 * others are known to be unique), so memory stays small; without it every row is tracked.
 * Returns how many rows were left out. This is the rare path (see dedupe.ts), so it parses with
 * csv-parse rather than trusting any shortcut.
 */
export async function removeRepeats(
  source: AsyncIterable<Uint8Array>,
  target: CsvFile,
  suspects?: IdHashSet,
): Promise<number> {
  const parser = parse({ from_line: 2 });
  const parsing = pipeline(Readable.from(source), parser);
  parsing.catch(() => undefined); // The same error ends the iteration below.
  const seen = new IdHashSet();
  let removed = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    const bytes = Buffer.from(record[0] ?? '', 'utf8');
    hashIdBytes(bytes, 0, bytes.length);
    const h1 = idHash[0]!;
    const h2 = idHash[1]!;
    const needsQuotes = (idHash[2]! & NEEDS_QUOTES) !== 0;
    if ((suspects && !suspects.has(h1, h2)) || seen.add(h1, h2)) {
      target.field(bytes, 0, bytes.length, needsQuotes);
      if (target.needsDrain) await target.drained();
    } else {
      removed++;
    }
  }
  await parsing;
  return removed;
}

import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { generateSampleData } from '../../../data/generator/write-world';
import { ingestFolder } from '../../../lambdas/local/commands/ingest';

/** A planted person: every record of theirs in the generated world, from its ground truth. */
export interface PlantedPerson {
  readonly customerId: string;
  readonly crmIds: string[];
  readonly receiptIds: string[];
  readonly anonymousIds: string[];
  readonly emails: string[];
  /** Digits only (the sources spell phones many ways). */
  readonly phoneDigits: string[];
}

export const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
};

function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

/**
 * A small generated world, ingested (trusted zone, quarantine, identity map), plus the files the
 * later stages write: an audience and its hold-out, a batch segment output, score files and a
 * manifest. Returns the tree and a person who has CRM duplicates, receipts and a web device, the
 * receipts and the device linked to them only through the identity map.
 */
export async function plantedTree(): Promise<{
  root: string;
  landing: string;
  out: string;
  person: PlantedPerson;
  other: string;
}> {
  const root = await mkdtemp(path.join(tmpdir(), 'cdp-privacy-'));
  const landing = path.join(root, 'landing');
  const out = path.join(root, 'out');
  await generateSampleData({ seed: 5, users: 250, interactions: 3_000, outDir: landing });
  await ingestFolder(
    landing,
    { out, maxBadShare: 0.05, phoneRegion: 'US', ingestDate: '2026-12-02' },
    quiet(),
  );

  const truth = csvRows(await readFile(path.join(landing, 'ground-truth/identities.csv'), 'utf8'));
  const byPerson = new Map<string, Record<string, string>[]>();
  for (const row of truth)
    byPerson.set(row['customer_id']!, [...(byPerson.get(row['customer_id']!) ?? []), row]);
  const [customerId, records] = [...byPerson].find(
    ([, rows]) =>
      rows.filter((r) => r['source'] === 'crm').length >= 2 &&
      rows.some((r) => r['source'] === 'store') &&
      rows.some((r) => r['source'] === 'web'),
  )!;
  const ids = (source: string) => records.filter((r) => r['source'] === source).map((r) => r['record_id']!);
  const crm = csvRows(await readFile(path.join(landing, 'crm/customers.csv'), 'utf8')).filter((r) =>
    ids('crm').includes(r['customer_id']!),
  );
  const person: PlantedPerson = {
    customerId,
    crmIds: ids('crm'),
    receiptIds: ids('store'),
    anonymousIds: ids('web'),
    emails: [...new Set(crm.map((r) => r['email']!.toLowerCase()).filter(Boolean))],
    phoneDigits: [
      ...new Set(crm.map((r) => r['phone']!.replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '')).filter(Boolean)),
    ],
  };
  const other = [...byPerson.keys()].find((id) => id !== customerId)!;

  // What activation, scoring and segmentation leave in the tree.
  const job = path.join(out, 'audiences/weekly');
  await mkdir(job, { recursive: true });
  await writeFile(path.join(job, 'genres-action--weekly.csv'), `User.UserId\n${other}\n${customerId}\n`);
  await writeFile(
    path.join(job, 'genres-drama--weekly.holdout.csv'),
    `User.UserId\n${customerId}\n${other}\n`,
  );
  await writeFile(
    path.join(job, 'manifest.json'),
    JSON.stringify({ jobName: 'weekly', audiences: [{ name: 'genres-action--weekly', size: 2 }] }, null, 2) +
      '\n',
  );
  await mkdir(path.join(out, 'segments/weekly'), { recursive: true });
  await writeFile(
    path.join(out, 'segments/weekly/queries.json.out'),
    `{"input":{"itemAttributes":"ITEMS.genres = \\"Action\\""},"output":{"usersList":["${other}","${customerId}"]},"error":null}\n` +
      `{"input":{"itemAttributes":"ITEMS.genres = \\"Horror\\""},"output":{"usersList":["${other}"]},"error":null}\n`,
  );
  await mkdir(path.join(out, 'scores/run-7'), { recursive: true });
  await writeFile(
    path.join(out, 'scores/run-7/churn.csv'),
    `customer_id,score\n${other},0.1\n${customerId},0.93\n`,
  );
  await writeFile(
    path.join(out, 'segment-events.jsonl'),
    `{"type":"identify","userId":"${other}","traits":{"churn":0.1}}\n{"type":"track","anonymousId":"${person.anonymousIds[0]}","event":"Viewed"}\n`,
  );
  return { root, landing, out, person, other };
}

/** Every file under a folder, relative paths, `privacy/` left out unless asked. */
export async function filesUnder(dir: string, withPrivacy = false): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((file) => withPrivacy || !file.startsWith('privacy'))
    .sort();
}

/** The text of a file as the scan sees it: Parquet decoded (its strings are compressed on disk). */
export async function readable(file: string): Promise<string> {
  const bytes = await readFile(file);
  if (!file.endsWith('.parquet')) return bytes.toString('utf8');
  const rows = await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  });
  return JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** The traces of a person found in a text: IDs, emails (any case), phones (any spelling). */
export function tracesOf(text: string, person: PlantedPerson): string[] {
  const found: string[] = [];
  for (const id of [...person.crmIds, ...person.receiptIds, ...person.anonymousIds]) {
    if (new RegExp(`\\b${id}\\b`).test(text)) found.push(id);
  }
  const lower = text.toLowerCase();
  for (const email of person.emails) if (lower.includes(email)) found.push(email);
  const tokens = new Set(text.replace(/[^\d\n,"|]/g, '').split(/[\n,"|]/));
  for (const phone of person.phoneDigits) if (tokens.has(phone) || tokens.has(`1${phone}`)) found.push(phone);
  return found;
}

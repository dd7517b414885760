import { cp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../lambdas/adapters/local-object-store';
import type { DeletableObjectStore } from '../../../lambdas/core/ports/object-store';
import { completeSwaps } from '../../../lambdas/core/privacy/swap';
import type { AccessExport } from '../../../lambdas/core/privacy/access-export';
import { ingestFolder } from '../../../lambdas/local/commands/ingest';
import { privacyLocal } from '../../../lambdas/local/commands/privacy';
import { filesUnder, type PlantedPerson, plantedTree, quiet, readable, tracesOf } from './privacy-tree';

let tree: Awaited<ReturnType<typeof plantedTree>>;
let person: PlantedPerson;
const now = () => new Date('2026-12-02T10:00:00Z');

beforeAll(async () => {
  tree = await plantedTree();
  person = tree.person;
}, 120_000);

afterAll(() => rm(tree.root, { recursive: true, force: true }));

/** A fresh copy of the planted tree for one test. */
async function copyOf(name: string): Promise<string> {
  const dir = path.join(tree.root, name);
  await cp(tree.out, dir, { recursive: true });
  return dir;
}

async function tracesIn(dir: string): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const file of await filesUnder(dir)) {
    if (!/\.(csv|json|jsonl|out|parquet)$/.test(file)) continue;
    const traces = tracesOf(await readable(path.join(dir, file)), person);
    if (traces.length > 0) found[file] = traces;
  }
  return found;
}

describe('cdp privacy access', () => {
  it('exports every record planted for the person, across sources linked only through the identity map', async () => {
    // Prepare
    const dir = await copyOf('access');
    const before = await tracesIn(dir);

    // Act
    const outcome = await privacyLocal(
      'access',
      [person.customerId],
      { local: dir, request: 'access-1', now },
      quiet(),
    );

    // Assess
    const document = JSON.parse(await readFile(path.join(dir, outcome.export!.json), 'utf8')) as AccessExport;
    expect(document.identifiers.customerIds.sort()).toEqual([...person.crmIds].sort());
    expect(document.identifiers.receiptIds.sort()).toEqual([...person.receiptIds].sort());
    expect(document.identifiers.anonymousIds.sort()).toEqual([...person.anonymousIds].sort());
    const text = JSON.stringify(document);
    for (const id of [...person.crmIds, ...person.receiptIds, ...person.anonymousIds])
      expect(text).toContain(`"${id}"`);
    // Every file holding the person is in the export, with every row of theirs.
    const exported = new Set(document.datasets.map((d) => d.key));
    const elsewhere = Object.keys(before).filter((file) => !/^(audiences|scores)\//.test(file));
    expect([...exported].sort()).toEqual(expect.arrayContaining(elsewhere));
    const receipts = document.datasets.find((d) => d.dataset === 'trusted/store/sales')!;
    expect(receipts.records.map((r) => (r as { receipt_id: string }).receipt_id).sort()).toEqual(
      [...person.receiptIds].sort(),
    );
    expect(document.audiences).toEqual([
      {
        job: 'weekly',
        audience: 'genres-action--weekly',
        holdout: false,
        key: 'audiences/weekly/genres-action--weekly.csv',
      },
      {
        job: 'weekly',
        audience: 'genres-drama--weekly',
        holdout: true,
        key: 'audiences/weekly/genres-drama--weekly.holdout.csv',
      },
    ]);
    expect(document.scores).toEqual([
      { run: 'run-7', model: 'churn', score: '0.93', key: 'scores/run-7/churn.csv' },
    ]);
    expect(document.destinations.map((d) => d.audience)).toEqual(['genres-action--weekly']);
    const markdown = await readFile(path.join(dir, outcome.export!.markdown), 'utf8');
    expect(markdown).toContain('| weekly | genres-drama--weekly | yes |');
  });
});

describe('cdp privacy erase', () => {
  it('leaves no trace of the person in CSV, JSON or Parquet, and every other row as it was', async () => {
    // Prepare
    const dir = await copyOf('erase');
    const before = await tracesIn(dir);
    expect(Object.keys(before).length).toBeGreaterThan(8);
    const otherLines = async (file: string) =>
      (await readFile(path.join(dir, file), 'utf8'))
        .split('\n')
        .filter((line) => tracesOf(line, person).length === 0);
    const csvFiles = (await filesUnder(dir)).filter((f) => f.endsWith('.csv'));
    const kept = new Map(await Promise.all(csvFiles.map(async (f) => [f, await otherLines(f)] as const)));
    const parquetFiles = (await filesUnder(dir)).filter((f) => f.endsWith('.parquet'));
    const keptRows = new Map(
      await Promise.all(
        parquetFiles.map(async (f) => {
          const rows = JSON.parse(await readable(path.join(dir, f))) as unknown[];
          return [f, rows.filter((row) => tracesOf(JSON.stringify(row), person).length === 0)] as const;
        }),
      ),
    );

    await privacyLocal(
      'access',
      [person.crmIds[1]!],
      { local: dir, request: 'access-before-erase', now },
      quiet(),
    );

    // Act
    const outcome = await privacyLocal(
      'erase',
      [person.customerId],
      { local: dir, request: 'erase-1', now },
      quiet(),
    );

    // Assess
    expect(await tracesIn(dir)).toEqual({});
    for (const [file, lines] of kept)
      expect(await readFile(path.join(dir, file), 'utf8')).toBe(lines.join('\n'));
    for (const [file, rows] of keptRows)
      expect(JSON.parse(await readable(path.join(dir, file)))).toEqual(rows);
    expect(outcome.io.rewritten).toBe(Object.keys(before).length);
    const record = await readFile(path.join(dir, outcome.recordKey), 'utf8');
    expect(tracesOf(record, person)).toEqual([]);
    expect(record).not.toContain(person.customerId);
    expect(JSON.parse(record)).toMatchObject({
      status: 'completed',
      startedAt: now().toISOString(),
      finishedAt: now().toISOString(),
    });
    expect(await filesUnder(path.join(dir, 'privacy'), true)).not.toContain(
      'exports/access-before-erase/export.json',
    );
    expect(await filesUnder(path.join(dir, 'privacy'), true)).not.toContain(
      'exports/access-before-erase/export.md',
    );
    const suppressed = await filesUnder(path.join(dir, 'privacy/suppressed'));
    expect(
      tracesOf(await readFile(path.join(dir, 'privacy/suppressed', suppressed[0]!), 'utf8'), person),
    ).toEqual([]);
  });

  it('loses nothing when it stops between writing the rewrites and swapping them in', async () => {
    // Prepare: a folder whose store fails on the first swap of an original.
    const dir = await copyOf('crash');
    const snapshot = new Map(
      await Promise.all(
        (await filesUnder(dir)).map(async (f) => [f, await readFile(path.join(dir, f))] as const),
      ),
    );
    const { runPrivacyRequest } = await import('../../../lambdas/core/privacy/privacy-request');
    const { parseSubject } = await import('../../../lambdas/core/privacy/subject');
    const store = new LocalObjectStore({ root: dir });
    let swaps = 0;
    const crashing: DeletableObjectStore = {
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      head: (key) => store.head(key),
      delete: (key) => store.delete(key),
      put: async (key, body) => {
        if (!key.startsWith('privacy/') && ++swaps === 3) throw new Error('power cut');
        return store.put(key, body);
      },
    };

    // Act
    const erase = runPrivacyRequest(
      { trusted: crashing, zones: [{ name: 'output', store: crashing }] },
      {
        requestId: 'crash-1',
        action: 'erase',
        subjects: [parseSubject(person.customerId)],
        salt: Buffer.alloc(32, 7),
        now,
      },
    );

    // Assess: each file is the old one or the rewrite, whole; then the next run finishes the swap.
    await expect(erase).rejects.toThrow('power cut');
    let untouched = 0;
    for (const file of await filesUnder(dir)) {
      const bytes = await readFile(path.join(dir, file));
      if (snapshot.get(file)?.equals(bytes)) untouched++;
      else expect(tracesOf(await readable(path.join(dir, file)), person)).toEqual([]);
    }
    expect(untouched).toBeGreaterThan(0);
    expect(Object.keys(await tracesIn(dir)).length).toBeGreaterThan(0);
    expect(await completeSwaps(store)).toEqual(['crash-1']);
    expect(await tracesIn(dir)).toEqual({});
  });

  it('keeps the person out when their files are delivered again', async () => {
    // Prepare: erased, then a new delivery holding their CRM rows and receipts among others.
    const dir = await copyOf('reingest');
    await privacyLocal('erase', [person.customerId], { local: dir, request: 'erase-2', now }, quiet());
    const again = path.join(tree.root, 'again');
    for (const [file, idColumn] of [
      ['crm/customers.csv', 0],
      ['store/sales.csv', 0],
      ['web/events.csv', 0],
    ] as const) {
      const lines = (await readFile(path.join(tree.landing, file), 'utf8')).trim().split('\n');
      const theirs = lines.filter((line) => tracesOf(line.split(',')[idColumn]!, person).length > 0);
      expect(theirs.length).toBeGreaterThan(0);
      await mkdir(path.dirname(path.join(again, file)), { recursive: true });
      await writeFile(
        path.join(again, file.replace('.csv', '-again.csv')),
        [lines[0], ...theirs, lines[1]].join('\n') + '\n',
      );
    }

    // Act
    const run = await ingestFolder(
      again,
      { out: dir, maxBadShare: 0.05, phoneRegion: 'US', ingestDate: '2026-12-03' },
      quiet(),
    );

    // Assess
    expect(run.outcomes.every((o) => o.status === 'ingested' && (o.suppressed ?? 0) > 0)).toBe(true);
    expect(await tracesIn(dir)).toEqual({});
  });
});

/**
 * The contenders of bench/activation.bench.ts. Each runs alone in a child process, so its peak RSS
 * is its own, and returns how many users it handled.
 */
import { createReadStream, createWriteStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parser } from 'stream-json';
import { buildAudiences, readEndpointExport } from '../lambdas/core/activation';
import { BatchSegmentReader } from '../lambdas/core/activation/batch-segment-reader';
import { folderSink } from '../lambdas/local/commands/to-pinpoint';

export interface VariantInput {
  readonly input: string;
  readonly endpoints?: string;
  readonly out: string;
  readonly holdout?: number;
}

export interface VariantResult {
  /** Users of the segment file handled. */
  readonly users: number;
  /** Extra figures to report, e.g. the endpoint index build time. */
  readonly notes?: string;
}

const CHUNK = 1 << 20;

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function endWrite(out: Writable): Promise<void> {
  out.end();
  await once(out, 'close');
}

/** The I/O floor: a line-by-line copy of the same bytes (readline → write). */
async function copyLines(source: NodeJS.ReadableStream, target: string): Promise<number> {
  const out = createWriteStream(target);
  let lines = 0;
  for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
    await write(out, line);
    await write(out, '\n');
    lines++;
  }
  await endWrite(out);
  return lines;
}

function countUsers(manifestUsers: number): VariantResult {
  return { users: manifestUsers };
}

export const variants: Record<string, (input: VariantInput) => Promise<VariantResult>> = {
  /** This project's core, user-ID mode, written to a folder like the CLI does. */
  async ours({ input, out, holdout }) {
    const manifest = await buildAudiences(
      createReadStream(input, { highWaterMark: CHUNK }),
      folderSink(out),
      {
        jobName: 'bench',
        source: input,
        holdoutPercent: holdout ?? 0,
      },
    );
    return countUsers(manifest.totals.usersRead);
  },

  /** This project's core, endpoint mode: build the index from the export, then the audiences. */
  async 'ours-endpoints'({ input, endpoints, out }) {
    const started = performance.now();
    const { index, stats } = await readEndpointExport([
      { name: endpoints!, bytes: createReadStream(endpoints!, { highWaterMark: CHUNK }) },
    ]);
    const indexSeconds = (performance.now() - started) / 1000;
    const manifest = await buildAudiences(
      createReadStream(input, { highWaterMark: CHUNK }),
      folderSink(out),
      {
        jobName: 'bench',
        source: input,
        keyMode: 'endpointId',
        endpointIndex: index,
        endpointExport: stats,
      },
    );
    const t = manifest.totals;
    return {
      users: t.usersRead,
      notes:
        `index ${stats.endpoints.toLocaleString('en-US')} endpoints in ${indexSeconds.toFixed(1)} s ` +
        `(${Math.round(stats.endpoints / indexSeconds).toLocaleString('en-US')}/s, ${(stats.indexBytes / 2 ** 20).toFixed(0)} MB); ` +
        `${t.endpoints.toLocaleString('en-US')} endpoint rows, ${t.unresolvedUsers.toLocaleString('en-US')} users unresolved`,
    };
  },

  async copy({ input, out }) {
    await mkdir(out, { recursive: true });
    await copyLines(createReadStream(input, { highWaterMark: CHUNK }), `${out}/copy.out`);
    return { users: 0 };
  },

  /** Floor of endpoint mode: copy the export (gunzip → readline → write) and the segment file. */
  async 'copy-endpoints'({ input, endpoints, out }) {
    await mkdir(out, { recursive: true });
    const lines = await copyLines(
      createReadStream(endpoints!, { highWaterMark: CHUNK }).pipe(createGunzip()),
      `${out}/export.jsonl`,
    );
    rmSync(`${out}/export.jsonl`, { force: true });
    await copyLines(createReadStream(input, { highWaterMark: CHUNK }), `${out}/copy.out`);
    return { users: 0, notes: `${lines.toLocaleString('en-US')} export lines` };
  },

  /** The obvious version: whole file in memory, JSON.parse, a Map per query, CSV joined in memory. */
  async naive({ input, out }) {
    await mkdir(out, { recursive: true });
    let users = 0;
    const lines = readFileSync(input, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const record = JSON.parse(line);
      const list: string[] = record.output?.usersList ?? record.output?.recommendedUsers ?? [];
      users += list.length;
      const unique = new Map<string, true>();
      for (const user of list) unique.set(user, true);
      const csv = [
        'User.UserId',
        ...[...unique.keys()].map((u) => (/[",\r\n]/.test(u) ? `"${u.replace(/"/g, '""')}"` : u)),
      ];
      writeFileSync(`${out}/query-${i}.csv`, csv.join('\n') + '\n');
    });
    return { users };
  },

  /** Naive endpoint mode: every export line JSON.parsed into a Map<userId, endpointId[]>. */
  async 'naive-endpoints'({ input, endpoints, out }) {
    await mkdir(out, { recursive: true });
    const byUser = new Map<string, string[]>();
    for await (const line of createInterface({
      input: createReadStream(endpoints!).pipe(createGunzip()),
      crlfDelay: Infinity,
    })) {
      if (line === '') continue;
      const endpoint = JSON.parse(line);
      const user = endpoint.User?.UserId;
      if (typeof user !== 'string') continue;
      const list = byUser.get(user);
      if (list) list.push(endpoint.Id);
      else byUser.set(user, [endpoint.Id]);
    }
    let users = 0;
    readFileSync(input, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        const record = JSON.parse(line);
        const list: string[] = record.output?.usersList ?? record.output?.recommendedUsers ?? [];
        users += list.length;
        const rows = ['Id'];
        for (const user of new Set(list)) rows.push(...(byUser.get(user) ?? []));
        writeFileSync(`${out}/query-${i}.csv`, rows.join('\n') + '\n');
      });
    return { users, notes: `${byUser.size.toLocaleString('en-US')} users in the Map` };
  },

  /** Our scanner alone, hashing each user and nothing else: what reading the JSON costs before any output. */
  async 'scan-only'({ input }) {
    let users = 0;
    const counter = { user: () => void users++ };
    const reader = new BatchSegmentReader({ openLine: () => counter, closeLine: () => undefined });
    for await (const chunk of createReadStream(input, { highWaterMark: CHUNK }))
      reader.write(chunk as Buffer);
    reader.end();
    return { users };
  },

  /** stream-json, tokenizing only (no output at all): is it fast enough to build on? */
  async 'stream-json'({ input }) {
    let strings = 0;
    const tokens = createReadStream(input, { highWaterMark: CHUNK }).pipe(
      parser.asStream({ jsonStreaming: true, streamValues: false, packValues: true }),
    );
    for await (const token of tokens as AsyncIterable<{ name: string }>)
      if (token.name === 'stringValue') strings++;
    return { users: strings };
  },
};

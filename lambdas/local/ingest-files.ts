import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import type { CountryCode } from 'libphonenumber-js';
import { LocalObjectStore } from '../adapters/local-object-store';
import { ingestFile, type IngestOutcome } from '../core/ingest/ingest-file';
import type { SuppressionList } from '../core/privacy/suppression';
import { localSuppression } from './privacy-suppression';

/**
 * One landing file of a local folder through the ingest engine (`ingestFile`, the cloud's), and
 * the same for several files at once on worker threads: the files of a folder are independent
 * (each has its own trusted output, quarantine and ledger entry), so `cdp score` and
 * `cdp ingest --workers` ingest them side by side, one file per thread, largest first.
 *
 * Files are not split: a ranged ingestion (ingest-ranges.ts) validates every range twice (check,
 * then write), which doubles the engine's work; on a few cores, whole files in parallel do better.
 */

/** What a worker needs (plain data: it crosses the thread boundary). */
export interface LocalIngestJob {
  readonly folder: string;
  readonly out: string;
  readonly key: string;
  readonly ingestDate: string;
  readonly maxBadShare: number;
  readonly phoneRegion: CountryCode;
}

/** The content's hash: a second run on unchanged files finds them already ingested. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export interface LocalIngestExtras {
  readonly onProgress?: (bytes: number) => void;
  /** The tree's suppression list when the caller has it already (else it is read here). */
  readonly suppression?: SuppressionList | null;
}

/** Ingests one file of `job.folder` into `job.out`. */
export async function ingestLocalFile(
  job: LocalIngestJob,
  extras: LocalIngestExtras = {},
): Promise<IngestOutcome> {
  const landing = new LocalObjectStore({ root: job.folder });
  const zones = new LocalObjectStore({ root: job.out });
  // Subjects erased by `cdp privacy erase` on this tree stay out (its salt hashes the list).
  const suppression =
    extras.suppression === undefined
      ? await localSuppression(zones, job.out)
      : (extras.suppression ?? undefined);
  return ingestFile(
    { landing, trusted: zones, quarantine: zones },
    {
      key: job.key,
      etag: await sha256Of(path.join(job.folder, job.key)),
      ingestDate: job.ingestDate,
      maxBadShare: job.maxBadShare,
      normalise: { defaultRegion: job.phoneRegion },
      onProgress: extras.onProgress,
      suppression,
    },
  );
}

const WORKER = new URL('./ingest-worker.ts', import.meta.url);

function inWorker(job: LocalIngestJob): Promise<IngestOutcome> {
  return new Promise((resolve, reject) => {
    // The CLI runs under tsx; the worker loads the same TypeScript through it.
    const worker = new Worker(WORKER, { workerData: job, execArgv: ['--import', 'tsx'] });
    let settled = false;
    worker.once('message', (outcome: IngestOutcome) => {
      settled = true;
      resolve(outcome);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Error(`ingesting ${job.key} failed: ${error.message}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`ingesting ${job.key}: its worker exited with code ${code}`));
    });
  });
}

/**
 * Ingests the jobs on up to `workers` threads at once, the largest files first (so the last one
 * to start is small); the outcomes come back in the jobs' order. Every job runs even when another
 * fails; then the first failure is thrown.
 */
export async function ingestInWorkers(
  jobs: readonly (LocalIngestJob & { readonly size: number })[],
  workers: number,
  onDone?: (job: LocalIngestJob, outcome: IngestOutcome) => void,
): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = new Array<IngestOutcome>(jobs.length);
  const queue = jobs.map((job, index) => ({ job, index })).sort((a, b) => b.job.size - a.job.size);
  const failures: unknown[] = [];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { job, index } = next;
      try {
        const { size: _size, ...plain } = job;
        outcomes[index] = await inWorker(plain);
        onDone?.(job, outcomes[index]);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, lane));
  if (failures.length > 0) throw failures[0];
  return outcomes;
}

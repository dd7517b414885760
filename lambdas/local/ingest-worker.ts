import { parentPort, workerData } from 'node:worker_threads';
import { ingestLocalFile, type LocalIngestJob } from './ingest-files';

/** A worker thread of `ingestInWorkers`: ingests one file and posts its outcome. */
parentPort!.postMessage(await ingestLocalFile(workerData as LocalIngestJob));

/**
 * Generates a Pinpoint endpoint export (CreateExportJob output: gzipped JSON lines, one endpoint per
 * line) for benchmarks.
 *
 *   npx tsx bench/generate-endpoint-export.ts --endpoints 10000000 --out bench/out/endpoints.jsonl.gz
 *
 * Users `u000000000` … get one or two endpoints each (1.5 on average: an email, and for every other
 * user a phone), with UUID-shaped endpoint IDs, as Pinpoint SDKs create them.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createGzip, constants } from 'node:zlib';
import { userIdOf } from './generate-segment-output';

/** How many users an export of `endpoints` endpoints covers. */
export function usersInExport(endpoints: number): number {
  return Math.ceil(endpoints / 1.5);
}

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width);
}

/** A stable UUID-shaped endpoint ID for endpoint `k` of user `n`. */
export function endpointIdOf(n: number, k: number): string {
  const a = Math.imul(n ^ 0x5bd1e995, 0x01000193) ^ k;
  const b = Math.imul(n + k * 0x9e3779b1, 0x85ebca6b);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-8${hex(n, 3)}-${hex(n, 8)}${hex(k * 7919 + b, 4)}`;
}

function endpointLine(n: number, k: number): string {
  const user = userIdOf(n);
  const channel = k === 0 ? 'EMAIL' : 'SMS';
  const address = k === 0 ? `${user}@example.com` : `+1555${String(n % 10_000_000).padStart(7, '0')}`;
  return (
    `{"ChannelType":"${channel}","Address":"${address}","EndpointStatus":"ACTIVE","OptOut":"NONE",` +
    `"EffectiveDate":"2024-06-01T00:00:00.000Z","Attributes":{},"Demographic":{"Platform":"web"},` +
    `"Location":{"Country":"US"},"Metrics":{},"User":{"UserId":"${user}","UserAttributes":{}},` +
    `"Id":"${endpointIdOf(n, k)}","CreationDate":"2024-06-01T00:00:00.000Z"}\n`
  );
}

/** Writes the export (gzipped) and resolves with the number of endpoints written. */
export async function writeEndpointExport(path: string, endpoints: number): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const gzip = createGzip({ level: constants.Z_BEST_SPEED });
  const file = createWriteStream(path);
  gzip.pipe(file);
  let written = 0;
  let buffer = '';
  for (let n = 0; written < endpoints; n++) {
    for (let k = 0; k < (n % 2 === 0 ? 2 : 1) && written < endpoints; k++, written++)
      buffer += endpointLine(n, k);
    if (buffer.length > 1_000_000) {
      if (!gzip.write(buffer)) await once(gzip, 'drain');
      buffer = '';
    }
  }
  gzip.end(buffer);
  await once(file, 'finish');
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      endpoints: { type: 'string', default: '1000' },
      out: { type: 'string', default: 'bench/out/endpoints.jsonl.gz' },
    },
  });
  const count = await writeEndpointExport(values.out, Number(values.endpoints));
  console.log(`${values.out}: ${count} endpoints`);
}

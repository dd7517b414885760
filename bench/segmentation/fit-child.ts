/**
 * The model side of the segmentation benchmark, in a process of its own so that its peak RSS is the
 * model's alone: runs the batch segment job exactly as `cdp segment` does and prints one JSON line.
 *
 *   tsx bench/segmentation/fit-child.ts <folder> <queries.json> <out.json.out> <numResults> [<model options JSON>]
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runSegmentJob } from '../../lambdas/local/segmentation/segment-job';

const [folder, queriesFile, outFile, numResults, modelJson] = process.argv.slice(2);
const seconds: Record<string, number> = {};
const result = await runSegmentJob({
  interactions: {
    name: 'interactions.csv',
    bytes: createReadStream(path.join(folder!, 'interactions.csv'), { highWaterMark: 1 << 20 }),
  },
  items: { name: 'items.csv', bytes: createReadStream(path.join(folder!, 'items.csv')) },
  queries: { name: queriesFile!, text: await readFile(queriesFile!, 'utf8') },
  numResults: Number(numResults),
  model: modelJson ? (JSON.parse(modelJson) as object) : undefined,
  onStage: (stage, elapsed) => (seconds[stage] = elapsed),
});
await writeFile(outFile!, result.lines.join('\n') + '\n');
console.log(
  JSON.stringify({
    readSeconds: seconds.read,
    fitSeconds: seconds.fit,
    scoreSeconds: seconds.score,
    interactions: result.interactions,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);

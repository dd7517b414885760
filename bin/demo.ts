/**
 * `npm run demo`: the whole pipeline offline on the bundled sample. Regenerates data/sample when it
 * is absent (seed 42: the same bytes every time), then runs `cdp run data/sample --out out/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { generateSampleData } from '../data/generator/write-world';
import { DEFAULTS } from '../data/generator/options';

if (!existsSync('data/sample/personalize/training.json')) {
  console.error('data/sample is missing: generating it (seed 42) …');
  await generateSampleData({ ...DEFAULTS, outDir: 'data/sample' });
}
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'bin/cdp.ts', 'run', 'data/sample', '--out', 'out', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(run.status ?? 1);

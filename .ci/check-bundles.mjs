// Loads every Lambda bundle cdk synth wrote and checks it exports a handler: catches an ESM
// bundle that cannot load (a dynamic require, a missing dependency) before a deploy would.
import { readdirSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const bundles = readdirSync('cdk.out')
  .filter((name) => name.startsWith('asset.'))
  .map((name) => `cdk.out/${name}/index.mjs`)
  .filter((file) => existsSync(file));
let failed = 0;
for (const file of bundles) {
  try {
    const module = await import(pathToFileURL(file).href);
    if (typeof module.handler !== 'function') throw new Error('no exported handler');
  } catch (error) {
    failed += 1;
    console.error(`${file}: ${error.message}`);
  }
}
console.log(`${bundles.length - failed} of ${bundles.length} Lambda bundles load`);
process.exit(failed === 0 && bundles.length > 0 ? 0 : 1);

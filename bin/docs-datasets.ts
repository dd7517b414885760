/** Rewrites the README's dataset tables from the dataset definitions (npm run docs:datasets). */
import { readFileSync, writeFileSync } from 'node:fs';
import { datasetsMarkdown } from '../lambdas/local/datasets-doc';

const readme = readFileSync('README.md', 'utf8');
const updated = readme.replace(
  /<!-- datasets:start -->\n[\s\S]*?<!-- datasets:end -->/,
  `<!-- datasets:start -->\n${datasetsMarkdown()}\n<!-- datasets:end -->`,
);
if (updated === readme && !readme.includes('<!-- datasets:start -->')) {
  throw new Error('README.md has no <!-- datasets:start --> … <!-- datasets:end --> markers');
}
writeFileSync('README.md', updated);

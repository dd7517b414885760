import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetsMarkdown } from '../../lambdas/local/datasets-doc';

describe('the README', () => {
  it('documents every dataset exactly as it is declared (npm run docs:datasets rewrites it)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /<!-- datasets:start -->\n([\s\S]*?)<!-- datasets:end -->/.exec(readme)?.[1];

    expect(section).toBe(`${datasetsMarkdown()}\n`);
  });
});

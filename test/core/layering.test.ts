import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '../../lambdas/core');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('the core', () => {
  const files = sourceFiles(coreDir);

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('imports nothing from the adapters, the handlers or the local runner', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((spec) => /(^|\/)(adapters|handlers|local)(\/|$)/.test(spec))
        .map((spec) => `${file.slice(coreDir.length + 1)} imports ${spec}`),
    );
    expect(upward).toEqual([]);
  });

  it('imports no AWS SDK client and reads no environment variable', () => {
    const found = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const name = file.slice(coreDir.length + 1);
      return [
        ...importsOf(file)
          .filter((spec) => spec.startsWith('@aws-sdk/'))
          .map((spec) => `${name} imports ${spec}`),
        ...(/process\.env/.test(text) ? [`${name} reads process.env`] : []),
      ];
    });
    expect(found).toEqual([]);
  });
});

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStop, PushCursorFile, type SavedPush } from '../../lambdas/local/push-cursor';

const SAVED: SavedPush = {
  run: 'r/1',
  files: ['scores/churn.csv', 'scores/repurchase.csv'],
  scoredAt: '2026-05-01T10:00:00.000Z',
  cursor: {
    source: 1,
    byte: 120_000,
    line: 7_001,
    columns: { customerId: 0, score: 1, count: 2 },
    counts: { sent: 9_000, retried: 2, failed: 0, keptForReplay: 0 },
    invalidRows: 1,
  },
};
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-cursor-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PushCursorFile', () => {
  it('saves a cursor under cursors/<run>.json, reads it back, and removes it', async () => {
    // Prepare
    const cursor = new PushCursorFile(dir, 'r/1');

    // Act
    await cursor.save(SAVED);
    const read = await cursor.read();
    await cursor.remove();

    // Assess
    expect(cursor.file).toBe(path.join(dir, 'cursors', 'r%2F1.json'));
    expect(read).toEqual(SAVED);
    expect(await cursor.read()).toBeUndefined();
  });

  it('refuses a cursor file that is not one, naming it', async () => {
    // Prepare
    await mkdir(path.join(dir, 'cursors'));
    await writeFile(path.join(dir, 'cursors', 'r.json'), '{"run":"r"}');

    // Act
    const reading = new PushCursorFile(dir, 'r').read();

    // Assess
    await expect(reading).rejects.toThrow(
      `${path.join(dir, 'cursors', 'r.json')}: is not a push-scores cursor`,
    );
  });

  it('describes where a push stopped by file name and line', () => {
    // Act
    const where = describeStop(SAVED);

    // Assess
    expect(where).toBe('repurchase.csv line 7,001');
  });
});

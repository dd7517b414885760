import { describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { collect, MemoryObjectStore } from './memory-object-store';

const events = [
  JSON.stringify({ type: 'identify', userId: 'Zoë', messageId: 'm1' }),
  JSON.stringify({ type: 'identify', userId: 'u2', messageId: 'm2' }),
];

describe('ObjectStoreKeptBatches', () => {
  it('writes a kept batch to failed/<run>/<batch-id>.json with its reason and reads it back unchanged', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const kept = new ObjectStoreKeptBatches({ store, now: () => new Date('2026-05-01T10:00:00.000Z') });

    // Act
    const key = await kept.keep({
      run: 'run/7',
      batchId: 'b1',
      reason: 'Segment answered HTTP 503',
      status: 503,
      events,
    });
    const back = await kept.read(key);

    // Assess
    expect(key).toBe('failed/run%2F7/b1.json');
    expect(back).toEqual({
      run: 'run/7',
      batchId: 'b1',
      reason: 'Segment answered HTTP 503',
      status: 503,
      events,
    });
    expect(JSON.parse(store.text(key))).toMatchObject({ keptAt: '2026-05-01T10:00:00.000Z', eventCount: 2 });
  });

  it('lists as pending only the batches without a replayed marker', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const kept = new ObjectStoreKeptBatches({ store });
    const first = await kept.keep({ run: 'r', batchId: 'a', reason: 'x', events });
    const second = await kept.keep({ run: 'r', batchId: 'b', reason: 'x', events });

    // Act
    await kept.markReplayed(first);
    const pending = await collect(kept.pending('failed/'));

    // Assess
    expect(pending).toEqual([second]);
    expect(store.objects.has(`${first}.replayed`)).toBe(true);
  });

  it('names the key of a file that is not a kept batch', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put('failed/r/odd.json', '{"hello":1}');

    // Act
    const reading = new ObjectStoreKeptBatches({ store }).read('failed/r/odd.json');

    // Assess
    await expect(reading).rejects.toThrow(/^failed\/r\/odd.json: is not a kept batch/);
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runSegmentJob, runSegmentJobs } from '../../../lambdas/local/segmentation/segment-job';
import { plantedWorld, type PlantedWorld } from './planted-world';

const world = plantedWorld();

async function segmentsFor(
  planted: PlantedWorld,
  queries: unknown[],
  numResults: number,
): Promise<string[][]> {
  const result = await runSegmentJob({
    interactions: { name: 'interactions.csv', bytes: Readable.from([planted.interactionsCsv]) },
    items: { name: 'items.csv', bytes: Readable.from([planted.itemsCsv]) },
    queries: { name: 'queries.json', text: queries.map((q) => JSON.stringify(q)).join('\n') },
    numResults,
  });
  return result.lines.map(
    (line) => (JSON.parse(line) as { output: { usersList: string[] } }).output.usersList,
  );
}

/** Share of (lover, other) pairs where the lover is ranked higher: 1 is a perfect separation. */
function pairwiseOrder(ranking: readonly string[], lovers: ReadonlySet<string>): number {
  let loversSoFar = 0;
  let ordered = 0;
  let pairs = 0;
  for (const user of ranking) {
    if (lovers.has(user)) loversSoFar++;
    else {
      ordered += loversSoFar;
      pairs += lovers.size;
    }
  }
  return ordered / pairs;
}

describe('the local segmentation model', () => {
  it('ranks users who love Action above users who do not, for an Action attribute query', async () => {
    // Act
    const [ranking] = await segmentsFor(
      world,
      [{ itemAttributes: 'ITEMS.GENRES = "Action"' }],
      world.users.length,
    );

    // Assess
    expect(ranking).toHaveLength(world.users.length);
    expect(pairwiseOrder(ranking!, world.actionLovers)).toBeGreaterThan(0.97);
    const top = ranking!.slice(0, world.actionLovers.size);
    expect(top.filter((user) => world.actionLovers.has(user)).length).toBeGreaterThan(
      0.85 * world.actionLovers.size,
    );
  });

  it('ranks Action lovers who never touched an Action item above other users who never did, for an item query', async () => {
    // Prepare: an Action item, and the users who have not interacted with it yet.
    const item = 'I005';
    const unseen = (user: string) => !world.seen.has(`${user},${item}`);

    // Act
    const [ranking] = await segmentsFor(world, [{ itemId: item }], world.users.length);

    // Assess: only the collaborative part of the model can order these users.
    const candidates = ranking!.filter(unseen);
    const lovers = new Set(candidates.filter((user) => world.actionLovers.has(user)));
    expect(lovers.size).toBeGreaterThan(20);
    // A model that only counted past interactions would leave these users tied (about 0.5).
    expect(pairwiseOrder(candidates, lovers)).toBeGreaterThan(0.85);
  });

  it('answers a query for the other genre with the other users, not with the most active ones', async () => {
    // Act
    const [action, comedy] = await segmentsFor(
      world,
      [{ itemAttributes: 'ITEMS.GENRES = "Action"' }, { itemAttributes: "items.genres = 'Comedy'" }],
      50,
    );

    // Assess
    expect(comedy!.filter((user) => world.actionLovers.has(user)).length).toBeLessThan(5);
    expect(new Set([...action!, ...comedy!]).size).toBeGreaterThan(95);
  });

  it('answers several jobs from one fit exactly as it answers each job alone', async () => {
    const action = [{ itemAttributes: 'ITEMS.GENRES = "Action"' }];
    const comedy = [{ itemAttributes: 'ITEMS.GENRES = "Comedy"' }];
    const text = (queries: unknown[]) => queries.map((q) => JSON.stringify(q)).join('\n');
    const stages: string[] = [];

    const together = await runSegmentJobs({
      interactions: { name: 'interactions.csv', bytes: Readable.from([world.interactionsCsv]) },
      items: { name: 'items.csv', bytes: Readable.from([world.itemsCsv]) },
      jobs: [
        { queries: { name: 'a.json', text: text(action) }, numResults: 20 },
        { queries: { name: 'b.json', text: text(comedy) }, numResults: 30 },
      ],
      onStage: (stage) => stages.push(stage),
    });

    expect(stages).toEqual(['read', 'fit', 'score']);
    const usersOf = (lines: string[]) =>
      lines.map((line) => (JSON.parse(line) as { output: { usersList: string[] } }).output.usersList);
    expect(usersOf(together[0]!.lines)).toEqual(await segmentsFor(world, action, 20));
    expect(usersOf(together[1]!.lines)).toEqual(await segmentsFor(world, comedy, 30));
  });

  it('gives the same ranking for the same data twice (the factors start from a fixed seed)', async () => {
    // Act
    const first = await segmentsFor(world, [{ itemId: 'I101' }], 40);
    const second = await segmentsFor(world, [{ itemId: 'I101' }], 40);

    // Assess
    expect(second).toEqual(first);
  });
});

import { createRandom } from '../../../data/generator/random';

/**
 * A small world with a planted preference, for the model tests: a third of the users love Action
 * (80% of their interactions are Action items), the rest love Comedy or Drama (Action 5%). Both
 * groups have the same activity. Items: 30 per genre, a few with two genres.
 */
export interface PlantedWorld {
  readonly interactionsCsv: string;
  readonly itemsCsv: string;
  readonly actionLovers: ReadonlySet<string>;
  readonly users: readonly string[];
  /** USER_ID,ITEM_ID pairs seen, to tell who already interacted with an item. */
  readonly seen: ReadonlySet<string>;
}

const GENRES = ['Action', 'Comedy', 'Drama'] as const;
const START = 1_735_689_600; // 2025-01-01

export function plantedWorld(seed = 7, userCount = 300): PlantedWorld {
  const random = createRandom(seed);
  const items = GENRES.flatMap((genre, g) =>
    Array.from({ length: 30 }, (_, i) => ({
      id: `I${g}${String(i).padStart(2, '0')}`,
      genres: i % 10 === 9 ? `${genre}|${GENRES[(g + 1) % 3]}` : genre,
      primary: genre,
    })),
  );
  const byGenre = (genre: string) => items.filter((item) => item.primary === genre);
  const users = Array.from({ length: userCount }, (_, u) => `U${String(u).padStart(4, '0')}`);
  const actionLovers = new Set(users.filter((_, u) => u % 3 === 0));
  const seen = new Set<string>();
  const rows = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE'];
  users.forEach((user, u) => {
    const favourite = actionLovers.has(user) ? 'Action' : u % 3 === 1 ? 'Comedy' : 'Drama';
    const actionShare = favourite === 'Action' ? 0.8 : 0.05;
    const count = random.int(4, 30);
    for (let e = 0; e < count; e++) {
      const genre = random.chance(actionShare) ? 'Action' : random.chance(0.85) ? favourite : 'Comedy';
      const pool = byGenre(genre === 'Action' && favourite === 'Action' ? 'Action' : genre);
      // Popular items first: a rough power law.
      const item = pool[Math.floor(pool.length * random.next() ** 2)]!;
      seen.add(`${user},${item.id}`);
      rows.push(`${user},${item.id},${START + random.int(0, 180 * 86_400)},watch`);
    }
  });
  return {
    interactionsCsv: rows.join('\n') + '\n',
    itemsCsv:
      ['ITEM_ID,GENRES,CATEGORY', ...items.map((item) => `${item.id},${item.genres},Movies`)].join('\n') +
      '\n',
    actionLovers,
    users,
    seen,
  };
}

/**
 * Pairwise precision and recall of an identity map against the generator's ground truth
 * (`ground-truth/identities.csv`: source, record_id, person, variation).
 *
 * A pair is two records of the same person. Precision: of the pairs we put together, the share
 * that are one person. Recall: of the true pairs, the share we put together. Per variation kind,
 * recall counts the records of that kind that landed with their person's original CRM record.
 */
export interface TruthRow {
  readonly key: string;
  readonly person: string;
  readonly variation: string;
}

export interface IdentityQuality {
  readonly precision: number;
  readonly recall: number;
  readonly truePairs: number;
  readonly predictedPairs: number;
  /** Recall of records that carry any evidence: web devices that never signed in are left out. */
  readonly linkableRecall: number;
  readonly byVariation: Readonly<Record<string, { readonly linked: number; readonly records: number }>>;
  /** Truth records missing from the map (quarantined rows, for instance). */
  readonly missing: number;
}

const pairs = (count: number) => (count * (count - 1)) / 2;

export function identityQuality(
  truth: readonly TruthRow[],
  predicted: ReadonlyMap<string, string>,
  /** Record keys with no evidence at all (devices that never signed in), for linkable recall. */
  unlinkable: ReadonlySet<string> = new Set(),
): IdentityQuality {
  const measure = (rows: readonly TruthRow[]) => {
    const byPerson = new Map<string, string[]>();
    const byPredicted = new Map<string, number>();
    for (const row of rows) {
      const customer = predicted.get(row.key);
      if (customer === undefined) continue;
      byPerson.set(row.person, [...(byPerson.get(row.person) ?? []), customer]);
      byPredicted.set(customer, (byPredicted.get(customer) ?? 0) + 1);
    }
    let together = 0;
    let truePairs = 0;
    for (const customers of byPerson.values()) {
      truePairs += pairs(customers.length);
      const counts = new Map<string, number>();
      for (const customer of customers) counts.set(customer, (counts.get(customer) ?? 0) + 1);
      for (const count of counts.values()) together += pairs(count);
    }
    let predictedPairs = 0;
    for (const count of byPredicted.values()) predictedPairs += pairs(count);
    return { together, truePairs, predictedPairs };
  };
  const all = measure(truth);
  const linkable = measure(truth.filter((row) => !unlinkable.has(row.key)));

  const byVariation: Record<string, { linked: number; records: number }> = {};
  for (const row of truth) {
    if (row.variation === 'original') continue;
    const entry = (byVariation[row.variation] ??= { linked: 0, records: 0 });
    entry.records++;
    const customer = predicted.get(row.key);
    if (customer !== undefined && customer === predicted.get(`crm:${row.person}`)) entry.linked++;
  }
  return {
    precision: all.predictedPairs === 0 ? 1 : all.together / all.predictedPairs,
    recall: all.truePairs === 0 ? 1 : all.together / all.truePairs,
    truePairs: all.truePairs,
    predictedPairs: all.predictedPairs,
    linkableRecall: linkable.truePairs === 0 ? 1 : linkable.together / linkable.truePairs,
    byVariation,
    missing: truth.filter((row) => !predicted.has(row.key)).length,
  };
}

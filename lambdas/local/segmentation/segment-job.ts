import { type DatasetSource, IdIndex, type ItemCatalog, readInteractions, readItemCatalog } from './datasets';
import { parseSegmentQueries, type SegmentQuery } from './segment-queries';
import { fitSegmentationModel, type SegmentationModelOptions, topUsers } from './segmentation-model';

/**
 * A batch segment job, run locally: read the datasets, check every query, fit the model, and give
 * back the output lines in Personalize's shape,
 *
 *   {"input": {"itemAttributes": "…"}, "output": {"usersList": ["u1", …]}, "error": null}
 *
 * with each query's users ranked by predicted affinity, best first.
 */

export interface SegmentJobInput {
  readonly interactions: DatasetSource;
  /** Needed by itemAttributes queries; item-affinity queries work without it. */
  readonly items?: DatasetSource;
  readonly queries: { readonly name: string; readonly text: string };
  /** Users per query (Personalize's numResults). */
  readonly numResults: number;
  readonly model?: Partial<SegmentationModelOptions>;
  /** Called when a stage ends, for progress output. */
  readonly onStage?: (stage: 'read' | 'fit' | 'score', seconds: number) => void;
}

export interface SegmentJobResult {
  /** The `.out` file's lines, without newlines. */
  readonly lines: string[];
  readonly queries: readonly SegmentQuery[];
  readonly interactions: number;
  readonly users: number;
  readonly items: number;
}

const EMPTY_CATALOG: ItemCatalog = { columns: [], values: [] };

export async function runSegmentJob(input: SegmentJobInput): Promise<SegmentJobResult> {
  const { interactions, items, queries, numResults, model, onStage } = input;
  const [job] = await runSegmentJobs({
    interactions,
    items,
    jobs: [{ queries, numResults }],
    model,
    onStage,
  });
  return job!;
}

/** Several batch segment jobs over the same datasets: read and fit once, answer every job's queries. */
export interface SegmentJobsInput extends Omit<SegmentJobInput, 'queries' | 'numResults'> {
  readonly jobs: readonly { readonly queries: SegmentJobInput['queries']; readonly numResults: number }[];
}

export async function runSegmentJobs(input: SegmentJobsInput): Promise<SegmentJobResult[]> {
  let started = performance.now();
  const lap = (stage: 'read' | 'fit' | 'score'): void => {
    const now = performance.now();
    input.onStage?.(stage, (now - started) / 1000);
    started = now;
  };
  const ids = { users: new IdIndex(), items: new IdIndex() };
  const interactions = await readInteractions(input.interactions, ids);
  const catalog = input.items ? await readItemCatalog(input.items, ids.items) : EMPTY_CATALOG;
  // Checked before the fit: a typo in the last query should not cost a training run.
  const parsed = input.jobs.map((job) =>
    parseSegmentQueries(job.queries.text, job.queries.name, catalog, ids.items),
  );
  lap('read');
  const model = fitSegmentationModel(interactions, ids.items.ids.length, input.model);
  lap('fit');
  const results = input.jobs.map((job, index) => {
    const queries = parsed[index]!;
    const lines = queries.map((query) => {
      const users = topUsers(model.score(query.matching), job.numResults);
      const usersList = Array.from(users, (u) => ids.users.ids[u]!);
      return JSON.stringify({ input: query.input, output: { usersList }, error: null });
    });
    return {
      lines,
      queries,
      interactions: interactions.count,
      users: ids.users.ids.length,
      items: ids.items.ids.length,
    };
  });
  lap('score');
  return results;
}

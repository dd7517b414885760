import type { ObjectStore } from '../ports/object-store';
import type { ActivationRun, ImportResult } from './activation-outcome';
import type { MapRunOutput } from './map-results';
import { buildSummary, loadBuild, loadImportResults, type BuildSummary } from './workflow-items';

/** What the outcome step gets from the state: summaries and S3 locations, never the lists. */
export interface ActivationRunInput extends Omit<ActivationRun, 'build' | 'imports'> {
  /** The build's summary; its audiences are in the item file it names. */
  readonly build?: BuildSummary;
  /** The import map's ResultWriter output, or an inline list (empty when nothing was imported). */
  readonly imports?: readonly ImportResult[] | MapRunOutput;
}

/** Reads the audiences and import results the state only points to, from the trusted bucket. */
export async function loadActivationRun(
  store: ObjectStore,
  bucket: string,
  input: ActivationRunInput,
): Promise<ActivationRun> {
  const { build, imports, ...rest } = input;
  return {
    ...rest,
    ...(build ? { build: await loadBuild(store, bucket, buildSummary.parse(build)) } : {}),
    ...(imports ? { imports: await loadImportResults(store, bucket, imports) } : {}),
  };
}

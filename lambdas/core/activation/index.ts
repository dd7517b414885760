/**
 * Activation core: Amazon Personalize batch segment output → audiences (Pinpoint import CSV files,
 * hold-out files) and a manifest. Pure over streams; storage comes in through an AudienceSink.
 *
 * The Lambda handler and the `cdp to-pinpoint` command both call:
 *
 *   const { index, stats } = await readEndpointExport(files);          // endpoint mode only
 *   const manifest = await buildAudiences(input, sink, { jobName, source, keyMode, endpointIndex: index,
 *                                                        endpointExport: stats, holdoutPercent });
 */
export { buildAudiences, type BuildAudiencesOptions } from './build-audiences';
export {
  readEndpointExport,
  gunzipIfNeeded,
  type ExportFile,
  type EndpointExportStats,
} from './endpoint-export-reader';
export { type AudienceSink, objectStoreSink } from './audience-sink';
export {
  outcomeOf,
  type ActivationManifest,
  type ActivationOutcome,
  type AudienceEntry,
  type KeyMode,
  type LineIssue,
} from './manifest';
export { audienceNameOf, audienceKeyOf, jobPartOf, queryText } from './audience-name';
export { isHeldOut } from './holdout';
export type { AudienceQuery } from './batch-segment-reader';
export type { EndpointIndex } from './endpoint-index';

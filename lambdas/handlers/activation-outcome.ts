import { S3Client } from '@aws-sdk/client-s3';
import {
  activationOutcome,
  type ActivationEvent,
  type ImportResult,
} from '../core/destinations/activation-outcome';
import { recordImportFailure, type ImportFailureRequest } from '../core/destinations/import-failure';
import { loadActivationRun, type ActivationRunInput } from '../core/destinations/load-run';
import { EVENTS } from '../core/events/catalog';
import { boundedErrors } from '../adapters/bounded-errors';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';

const bucket = process.env.TRUSTED_BUCKET ?? '';
const store = new S3ObjectStore({ client: new S3Client({}), bucket });

/**
 * Last step of the activation workflow: reads the audiences and import results the state points
 * to (S3), and turns them into the detail of `Audiences Imported` or `Audience Import Failed`,
 * which the workflow then puts on the bus. Inside the import map it also records each failed
 * import, its cause cut to a fixed length.
 */
export const handler = boundedErrors(
  async (input: ActivationRunInput | ImportFailureRequest): Promise<ActivationEvent | ImportResult> =>
    'importFailure' in input ? recordImportFailure(input) : decide(input),
);

async function decide(input: ActivationRunInput): Promise<ActivationEvent> {
  const run = await loadActivationRun(store, bucket, input);
  const event = activationOutcome(run);
  // Validate against the catalog so a malformed event never reaches the bus.
  const schema =
    event.detailType === EVENTS.audiencesImported.detailType
      ? EVENTS.audiencesImported.schema
      : EVENTS.audienceImportFailed.schema;
  schema.parse(event.detail);
  logger.info('activation outcome', { jobName: run.jobName, detailType: event.detailType });
  return event;
}

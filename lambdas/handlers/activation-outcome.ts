import {
  activationOutcome,
  type ActivationEvent,
  type ActivationRun,
} from '../core/destinations/activation-outcome';
import { EVENTS } from '../core/events/catalog';
import { logger } from '../adapters/logger';

/**
 * Last step of the activation workflow: turns what the workflow knows into the detail of
 * `Audiences Imported` or `Audience Import Failed`, which the workflow then puts on the bus.
 */
export async function handler(run: ActivationRun): Promise<ActivationEvent> {
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

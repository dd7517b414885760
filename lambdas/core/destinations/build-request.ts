import { z } from 'zod';
import { mapRunOutput } from './map-results';

const location = z.object({ bucket: z.string().min(1), key: z.string() });
const jobName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, 'is not a Personalize job name');
/** The execution's name: the run's item files live in a folder of their own. */
const run = z.string().regex(/^[a-zA-Z0-9_-]{1,80}$/, 'is not a Step Functions execution name');

/** What the activation workflow asks of the build step, in its three forms. */
export const buildRequest = z.union([
  /** Build one `.out` part of a job the workflow fans out. */
  z.object({ jobName, run, output: location, part: z.string().min(1) }),
  /** Join the parts' results, read from the part map's ResultWriter output. */
  z.object({ jobName, run, merge: mapRunOutput }),
  /** Build the job's only part, or list its parts for the workflow to fan out over. */
  z.object({ jobName, run, output: location }),
]);

import { z } from 'zod';
import type { BuildResult } from './activation-outcome';

const location = z.object({ bucket: z.string().min(1), key: z.string() });
const jobName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, 'is not a Personalize job name');
const builtAudience = z.object({
  name: z.string(),
  query: z.string(),
  size: z.number(),
  holdoutSize: z.number(),
  unresolvedUsers: z.number(),
  importKey: z.string(),
});
const buildResult: z.ZodType<BuildResult> = z.object({
  manifest: location,
  audiences: z.array(builtAudience),
  skippedLines: z.number(),
});

/** What the activation workflow asks of the build step, in its three forms. */
export const buildRequest = z.union([
  /** Build one `.out` part of a job the workflow fans out. */
  z.object({ jobName, output: location, part: z.string().min(1) }),
  /** Join the parts' results. */
  z.object({ jobName, merge: z.array(buildResult) }),
  /** Build the job's only part, or say it has several. */
  z.object({ jobName, output: location }),
]);

import { z } from 'zod';

/** The environment the Connect destination's functions share (set by lib/constructs/connect-membership.ts). */
export const connectEnvSchema = z.object({
  TRUSTED_BUCKET: z.string().min(1),
  /** Where the last applied members and the receipts are kept in the trusted bucket. */
  CONNECT_STATE_PREFIX: z.string().min(1),
  DOMAIN_NAME: z.string().min(1),
  ALLOW_PROFILE_CREATION: z.enum(['true', 'false']).transform((v) => v === 'true'),
});

export type ConnectEnv = z.infer<typeof connectEnvSchema>;

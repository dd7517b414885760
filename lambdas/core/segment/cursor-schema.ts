import { z } from 'zod';
import type { SyncCursor } from './sync-scores';

const count = z.number().int().nonnegative();

/** Validates a cursor handed back by a Step Functions loop (it is plain JSON in the state). */
export const syncCursorSchema: z.ZodType<SyncCursor> = z.object({
  source: count,
  byte: count,
  line: count,
  columns: z.object({ customerId: count, score: count, count: count }).optional(),
  counts: z.object({ sent: count, retried: count, failed: count, keptForReplay: count }),
  invalidRows: count,
});

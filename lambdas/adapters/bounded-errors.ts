import { clipBytes, MAX_CAUSE_BYTES } from '../core/errors';
import { logger } from './logger';

/**
 * Wraps a Lambda handler so that an error it throws enters the Step Functions state (as the
 * task's Cause: error type, message and trace) cut to MAX_CAUSE_BYTES, without its stack frames.
 * The full error goes to the function's log first.
 */
export function boundedErrors<I, O>(handler: (event: I) => Promise<O>): (event: I) => Promise<O> {
  return async (event: I) => {
    try {
      return await handler(event);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      logger.error('step failed', { error });
      const bounded = new Error(clipBytes(error.message, MAX_CAUSE_BYTES / 2));
      bounded.name = clipBytes(error.name, 128);
      // The runtime sends the stack as the cause's trace; one line, the name and message, is enough.
      bounded.stack = `${bounded.name}: ${bounded.message}`;
      throw bounded;
    }
  };
}

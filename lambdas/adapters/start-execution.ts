import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** What came of a start: a new execution, or one with that name already (running or finished). */
export type StartResult = 'started' | 'already-started';

/**
 * Starts an execution under a name of our choosing, once. Step Functions answers a name used in
 * the last 90 days with ExecutionAlreadyExists (or, for an open execution with the same input,
 * with success and no new run): either way nothing runs twice.
 */
export async function startExecutionOnce(
  client: SFNClient,
  stateMachineArn: string,
  name: string,
  input: object,
): Promise<StartResult> {
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return 'started';
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return 'already-started';
    throw error;
  }
}

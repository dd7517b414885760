import type { MembershipChange } from './audience-membership';

/**
 * A batch of one audience's membership changes, as it travels from the workflow to the writer
 * (an SQS message in the cloud). `run` and `batch` name the receipt the writer leaves for it, so
 * the workflow can tell when every batch of the audience has been written.
 */
export interface ChangeBatch {
  /** The activation run (the workflow execution's name): receipts are kept per run. */
  readonly run: string;
  readonly audienceKey: string;
  /** 0, 1, 2 … within the run and audience. */
  readonly batch: number;
  readonly changes: readonly MembershipChange[];
}

/** Where change batches go to be written (SQS in the cloud). */
export interface ChangeQueue {
  /** Sends the batches; resolves once every one is accepted, throws otherwise. */
  send(batches: readonly ChangeBatch[]): Promise<void>;
}

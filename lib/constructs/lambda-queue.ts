import { Duration, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What a queue that feeds a Lambda needs to know. */
export interface LambdaQueueProps {
  /** Encrypts both queues. */
  readonly key: kms.IKey;
  /** The consuming function's timeout: the queue's visibility timeout is six times it. */
  readonly functionTimeout: Duration;
  /** Receives of a message before SQS moves it to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Why the dead-letter queue has no dead-letter queue of its own (cdk-nag AwsSolutions-SQS3). */
  readonly deadLetterReason: string;
}

/**
 * A KMS-encrypted, SSL-only queue that a Lambda event source drains, and its dead-letter queue
 * (kept 14 days), created in `scope` with the ids `deadLetterId` and `id`.
 */
export function lambdaQueue(
  scope: Construct,
  id: string,
  deadLetterId: string,
  props: LambdaQueueProps,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const encrypted = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true };
  const deadLetterQueue = new sqs.Queue(scope, deadLetterId, {
    ...encrypted,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: props.deadLetterReason });
  const queue = new sqs.Queue(scope, id, {
    ...encrypted,
    // Six times the function's timeout, as AWS advises for a Lambda event source.
    visibilityTimeout: Duration.seconds(props.functionTimeout.toSeconds() * 6),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

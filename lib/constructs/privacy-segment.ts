import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SEGMENT_ACTION, SEGMENT_STORE } from '../../lambdas/core/privacy/segment-regulation';
import { acknowledgeWildcardArn } from '../nag';
import { CdpFunction } from './cdp-function';
import type { DataLake } from './data-lake';

/** Where the lake step leaves an erasure's deletion files, and the Segment step keeps failed batches. */
export const PRIVACY_DELETIONS_PREFIX = 'privacy/deletions/';

export interface PrivacySegmentProps {
  readonly dataLake: DataLake;
  /** Name of the Secrets Manager secret holding a Segment Public API token; unset, the step is manual. */
  readonly tokenSecretName?: string;
  /** The workspace's region: picks the Public API host. */
  readonly region: 'us' | 'eu';
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The Segment step of a privacy erasure: a function that creates a SUPPRESS_WITH_DELETE regulation
 * of the erasure's user IDs through Segment's Public API (or reports the step `manual` when no
 * token is configured), and `branch()`, the workflow states that run it and always end with a
 * StoreOutcome. The function reads the token secret and `privacy/deletions/` of the trusted bucket
 * only.
 */
export class PrivacySegment extends Construct {
  readonly function: CdpFunction;
  /** The Public API token secret, when configured. */
  readonly tokenSecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: PrivacySegmentProps) {
    super(scope, id);
    const { dataLake } = props;
    this.function = new CdpFunction(this, 'Function', {
      handler: 'privacy-segment',
      description: 'Privacy erasure: SUPPRESS_WITH_DELETE regulation in Twilio Segment',
      // A few calls (at most 5,000 user IDs each), with retries of up to 2 minutes on 429s.
      timeout: Duration.minutes(5),
      environment: {
        TRUSTED_BUCKET: dataLake.trusted.bucketName,
        SEGMENT_REGION: props.region,
        // The secret's name, never its value: the function reads it at run time.
        ...(props.tokenSecretName ? { SEGMENT_PUBLIC_API_TOKEN_SECRET: props.tokenSecretName } : {}),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.function.role!;
    // Reads the lake step's USER_ID file, writes the batches Segment did not accept.
    dataLake.grantTrustedPrefix(role, PRIVACY_DELETIONS_PREFIX, { list: false, write: true });
    if (props.tokenSecretName) {
      this.tokenSecret = secretsmanager.Secret.fromSecretNameV2(
        this,
        'PublicApiToken',
        props.tokenSecretName,
      );
      this.tokenSecret.grantRead(role);
      acknowledgeWildcardArn(
        role,
        this.tokenSecret.secretArn,
        'Secrets Manager appends a random 6-character suffix to secret ARNs; the grant names this one secret.',
      );
    }
  }

  /**
   * The Segment branch of the erasure's store steps (call once per state machine). Its input is the
   * workflow state after the lake step (`$.lake.erasure`); its output is always a StoreOutcome: the
   * function's, or a `failed` one when the function itself failed after its retries.
   */
  branch(scope: Construct): sfn.IChainable {
    const invoke = new tasks.LambdaInvoke(scope, 'Erase from Segment', {
      lambdaFunction: this.function,
      // No payload: the function gets the whole state, so a missing `$.lake` is its own (catchable)
      // error rather than a path error, which no Catch can turn into an outcome.
      payloadResponseOnly: true,
      // Lambda's own service errors and throttles only: a crashed run is not repeated, because
      // the regulations it already created would be created again.
      retryOnServiceExceptions: true,
    });
    invoke.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
    });
    const failed = new sfn.Pass(scope, 'Segment step failed', {
      parameters: {
        store: SEGMENT_STORE,
        action: SEGMENT_ACTION,
        status: 'failed',
        detail: sfn.JsonPath.format(
          'The Segment step stopped on {}; see the privacy-segment function logs. Regulations it created before stopping are listed in Segment (Settings > End User Privacy > Deletion Requests).',
          sfn.JsonPath.stringAt('$.segmentFailure.Error'),
        ),
      },
    });
    invoke.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.segmentFailure' });
    const done = new sfn.Pass(scope, 'Segment outcome');
    failed.next(done);
    return sfn.Chain.start(invoke).next(done);
  }
}

import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcard, arnToken } from '../nag';

import {
  PERSONALIZE_IMPORT_PREFIX,
  SEGMENT_OUTPUT_PREFIX,
  SEGMENT_QUERIES_PREFIX,
} from '../../lambdas/core/training/plan-run';

/** Batch segment job input (one query per line) and output, and the training imports, in the trusted zone. */
export { PERSONALIZE_IMPORT_PREFIX, SEGMENT_OUTPUT_PREFIX, SEGMENT_QUERIES_PREFIX };

/** What a role may do under one prefix of the trusted zone. */
export interface PrefixAccess {
  /** List the prefix (needed to tell "not found" from "access denied", and to find files). */
  readonly list: boolean;
  /** Write (multipart included) as well as read. */
  readonly write: boolean;
}

/** The three zones a grant can name. */
export type Zone = 'landing' | 'trusted' | 'quarantine';

/** Props of the data lake. */
export interface DataLakeProps {
  /** Days a raw upload stays in the landing zone. */
  readonly landingRetentionDays: number;
  /** Days the audience files (`audiences/`) and kept Segment batches (`failed/`) stay in the trusted zone. */
  readonly outputRetentionDays: number;
  /** RETAIN keeps buckets and key on `cdk destroy`; DESTROY deletes them with their data. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The S3 zones: landing (raw uploads), trusted (validated data, audiences, scores), quarantine
 * (rejected rows and their reports), and one bucket for their server access logs.
 * The zones share one customer-managed KMS key with rotation; every bucket is SSL-only,
 * private, owner-enforced, and sends its events to EventBridge.
 */
export class DataLake extends Construct {
  /** The key that encrypts every zone. */
  readonly key: kms.Key;
  /** Raw uploads: `personalize/<dataset-group>/…`, `crm/…`, `store/…`, `web/…`. */
  readonly landing: s3.Bucket;
  /** Validated data and model outputs: `trusted/…`, `audiences/…`, `scores/…`, `failed/…`. */
  readonly trusted: s3.Bucket;
  /** Rejected rows with a row-level report per file. */
  readonly quarantine: s3.Bucket;
  /** Server access logs of the three zones. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: 'cdp-audiences data lake: encrypts the landing, trusted and quarantine zones',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });

    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    } satisfies s3.BucketProps;

    // S3 server access logging cannot deliver into a bucket whose default encryption is SSE-KMS,
    // so this one bucket uses SSE-S3. It holds request logs only, never customer data.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    const zone = (name: string, extra: Partial<s3.BucketProps>) => {
      const bucket = new s3.Bucket(this, name, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: `${name.toLowerCase()}/`,
        ...extra,
      });
      // Send every object event to EventBridge with CloudFormation's own bucket property.
      // The L2 `eventBridgeEnabled: true` would add a custom resource that rewrites the bucket's
      // whole notification configuration on every deploy; the native property does not.
      (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
        eventBridgeConfiguration: { eventBridgeEnabled: true },
      };
      return bucket;
    };
    const abortUploads = {
      id: 'abort-incomplete-uploads',
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    };

    this.landing = zone('Landing', {
      versioned: true,
      lifecycleRules: [
        abortUploads,
        {
          id: 'expire-raw-uploads',
          expiration: Duration.days(props.landingRetentionDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });
    this.trusted = zone('Trusted', {
      versioned: true,
      lifecycleRules: [
        abortUploads,
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        // Activation outputs are re-built from their source on replay; they need not stay forever.
        ...['audiences/', 'failed/'].map((prefix) => ({
          id: `expire-${prefix.slice(0, -1)}`,
          prefix,
          expiration: Duration.days(props.outputRetentionDays),
        })),
      ],
    });
    this.quarantine = zone('Quarantine', {
      lifecycleRules: [abortUploads, { id: 'expire-rejected-rows', expiration: Duration.days(90) }],
    });
    this.allowPersonalizeBatchSegments();
  }

  /**
   * Personalize reads the batch segment queries and writes the `.out` files itself, as the service
   * principal, so the trusted bucket and the key must both let it, for this account's Personalize
   * resources only (confused deputy). Without these the job fails with an access error.
   */
  private allowPersonalizeBatchSegments(): void {
    const stack = Stack.of(this);
    const personalize = new iam.ServicePrincipal('personalize.amazonaws.com');
    const fromOurPersonalize = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'personalize',
          resource: '*',
          arnFormat: ArnFormat.NO_RESOURCE_NAME,
        }),
      },
    };
    // The actions Personalize's documentation lists for a key that encrypts its S3 data.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: [
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
          'kms:CreateGrant',
          'kms:ListGrants',
        ],
        resources: ['*'],
        conditions: fromOurPersonalize,
      }),
    );
    this.trusted.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: ['s3:GetObject'],
        resources: [
          this.trusted.arnForObjects(`${SEGMENT_QUERIES_PREFIX}*`),
          // The validated copies a training run's dataset import jobs read.
          this.trusted.arnForObjects(`${PERSONALIZE_IMPORT_PREFIX}*`),
        ],
        conditions: fromOurPersonalize,
      }),
    );
    this.trusted.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: ['s3:PutObject'],
        resources: [this.trusted.arnForObjects(`${SEGMENT_OUTPUT_PREFIX}*`)],
        conditions: fromOurPersonalize,
      }),
    );
    this.trusted.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: ['s3:ListBucket'],
        resources: [this.trusted.bucketArn],
        conditions: {
          ...fromOurPersonalize,
          StringLike: {
            's3:prefix': [
              `${SEGMENT_QUERIES_PREFIX}*`,
              `${SEGMENT_OUTPUT_PREFIX}*`,
              `${PERSONALIZE_IMPORT_PREFIX}*`,
            ],
          },
        },
      }),
    );
  }

  /**
   * Lets `role` read, and optionally list and write, the objects under one prefix of the trusted
   * zone, with the key actions that takes and nothing more.
   */
  grantTrustedPrefix(role: iam.IRole, prefix: string, access: PrefixAccess): void {
    this.grantPrefix('trusted', role, prefix, access);
  }

  /** The same prefix-scoped grant in any zone: landing, trusted or quarantine. */
  grantPrefix(zone: Zone, role: iam.IRole, prefix: string, access: PrefixAccess): void {
    const bucket = this[zone];
    const objects = ['s3:GetObject', ...(access.write ? ['s3:PutObject', 's3:AbortMultipartUpload'] : [])];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: objects, resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    if (access.list) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
        }),
      );
    }
    this.key.grant(role, 'kms:Decrypt', ...(access.write ? ['kms:GenerateDataKey'] : []));
    acknowledgeWildcard(
      role,
      `Resource::${arnToken(bucket)}/${prefix}*`,
      `Objects under ${prefix} are named at run time; the grant stays inside that prefix.`,
    );
  }

  /**
   * Lets `role` list a whole zone. Needed where code asks whether an object exists: without
   * s3:ListBucket, S3 answers HeadObject of a missing key with 403 instead of 404, and a
   * prefix-conditioned ListBucket does not count, as a HEAD request carries no s3:prefix.
   * It reveals key names only, never content.
   */
  grantListZone(zone: Zone, role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this[zone].bucketArn] }),
    );
  }
}

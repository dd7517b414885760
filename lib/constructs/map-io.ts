import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

// The L2 reader and writer grant s3:GetObject / s3:PutObject on every object of the bucket. Ours
// grant nothing themselves: the workflow grants its prefixes (DataLake.grantTrustedPrefix, which
// also grants the KMS key), so the role reaches only the item files and the results.

class PrefixGrantedJsonItemReader extends sfn.S3JsonItemReader {
  override providePolicyStatements(): iam.PolicyStatement[] {
    return [];
  }
}

class PrefixGrantedResultWriter extends sfn.ResultWriterV2 {
  override providePolicyStatements(): iam.PolicyStatement[] {
    return [];
  }
}

/** A Distributed Map's items: the JSON array in `bucket` at the key the state holds at `keyPath`. */
export function jsonItemFile(bucket: s3.IBucket, keyPath: string): sfn.IItemReader {
  return new PrefixGrantedJsonItemReader({ bucket, key: sfn.JsonPath.stringAt(keyPath) });
}

/**
 * A Distributed Map's results, written to `<prefix>/<map run id>/` (manifest.json and one file per
 * status) instead of its state output, which becomes their location (ResultWriterDetails).
 */
export function resultsUnder(bucket: s3.IBucket, prefix: string): sfn.ResultWriterV2 {
  return new PrefixGrantedResultWriter({ bucket, prefix: prefix.replace(/\/$/, '') });
}

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Props of a project Lambda: the handler file and what differs from the defaults. */
export interface CdpFunctionProps {
  /** Handler file name under lambdas/handlers/, without extension, e.g. `notify`. */
  readonly handler: string;
  /** Environment variables (never secrets: pass a secret's name, not its value). */
  readonly environment?: Record<string, string>;
  /** Memory in MB. */
  readonly memorySize?: number;
  /** Time limit. */
  readonly timeout?: Duration;
  /** Short description shown in the console. */
  readonly description?: string;
  /** What happens to the log group on stack deletion. */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Instances that may run at once, for a function that calls a rate-limited API. */
  readonly reservedConcurrentExecutions?: number;
  /** Where an asynchronous invocation goes after its retries failed (EventBridge targets). */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * Every Lambda of the project: Node.js 24 on arm64, bundled locally with esbuild (no Docker),
 * minified ESM with source maps, JSON logs into a log group with a retention.
 */
export class CdpFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: CdpFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Its own role, allowed to write only to its own log group: no AWS managed policy.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the cdp-audiences ${props.handler} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(repoRoot, 'lambdas', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2 } : {}),
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'cdp-audiences',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      projectRoot: repoRoot,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node24',
        // The AWS SDK v3 is bundled, not taken from the runtime: the runtime's copy changes
        // without notice, while the bundle pins the exact versions the tests ran against
        // (package-lock.json). esbuild keeps only the clients a handler imports.
        externalModules: [],
        // Some dependencies still call require(); give the ESM bundle one.
        banner:
          "import { createRequire as __cdpCreateRequire } from 'node:module'; const require = __cdpCreateRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });
  }
}

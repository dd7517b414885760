import { CfnOutput, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CdpFunction } from './cdp-function';

/** Props of the real-time recommendations endpoint. */
export interface RecommendationsProps {
  /** Resource name prefix: the campaign is `<namePrefix>-recommendations`. */
  readonly namePrefix: string;
  /** A Personalize filter applied to every answer (e.g. exclude purchased items). */
  readonly filterArn?: string;
  /** What happens to the logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * `GET /recommendations?userId=…&n=…` on a Lambda function URL with AWS_IAM auth (never public):
 * GetRecommendations on the one campaign the training workflow deploys, with item IDs and scores.
 */
export class Recommendations extends Construct {
  /** The campaign's name and ARN: the training workflow creates or updates it. */
  readonly campaignName: string;
  readonly campaignArn: string;
  readonly function: CdpFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RecommendationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.campaignName = `${props.namePrefix}-recommendations`;
    this.campaignArn = `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:campaign/${this.campaignName}`;

    this.function = new CdpFunction(this, 'Function', {
      handler: 'get-recommendations',
      description: 'Answers GET /recommendations?userId=…&n=… from the Personalize campaign',
      environment: {
        CAMPAIGN_ARN: this.campaignArn,
        ...(props.filterArn ? { FILTER_ARN: props.filterArn } : {}),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'GetRecommendationsFromTheCampaign',
        actions: ['personalize:GetRecommendations'],
        resources: [this.campaignArn, ...(props.filterArn ? [props.filterArn] : [])],
      }),
    );
    // AWS_IAM: only a caller whose IAM policy allows lambda:InvokeFunctionUrl on this function, with a
    // SigV4-signed request, gets an answer; an unsigned request gets 403 from Lambda itself.
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(stack, 'RecommendationsUrl', {
      value: this.url.url,
      description: 'GET <url>recommendations?userId=…&n=… (SigV4-signed, IAM auth)',
    });
  }
}

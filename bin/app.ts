#!/usr/bin/env -S npx tsx
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CdpAudiencesStack } from '../lib/cdp-audiences-stack';
import { ConfigError, configFromContext } from '../lib/config';

const app = new App();
try {
  const config = configFromContext((key) => app.node.tryGetContext(key));
  new CdpAudiencesStack(app, `${config.namePrefix}-audiences`, {
    config,
    description:
      'cdp-audiences: ML audiences from Amazon Personalize and SageMaker, activated in Pinpoint, S3 and Segment',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
// A new cdk-nag AwsSolutions finding fails `cdk synth`; acknowledged ones carry their reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

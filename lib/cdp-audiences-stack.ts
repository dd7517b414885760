import { CfnOutput, CfnParameter, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../lambdas/core/training/stack-outputs';
import type { CdpConfig } from './config';
import { AudienceActivation } from './constructs/audience-activation';
import { DataLake } from './constructs/data-lake';
import { EventBus } from './constructs/event-bus';
import { IdentityResolution } from './constructs/identity-resolution';
import { Ingestion } from './constructs/ingestion';
import { PrivacyRequests } from './constructs/privacy-requests';
import { PrivacySegment } from './constructs/privacy-segment';
import { Notifications } from './constructs/notifications';
import { PersonalizeTraining } from './constructs/personalize-training';
import { RealtimeRelay, trackingIdParameterName } from './constructs/realtime-relay';
import { Recommendations } from './constructs/recommendations';
import { PropensityScoring } from './constructs/propensity-scoring';
import { SegmentSync } from './constructs/segment-sync';
import { TrustedCatalog } from './constructs/trusted-catalog';

/** Props of the stack: the validated deployment config. */
export interface CdpAudiencesStackProps extends StackProps {
  /** The deployment config (lib/config.ts). */
  readonly config: CdpConfig;
}

/** The whole app in one stack. It only wires the capability constructs together. */
export class CdpAudiencesStack extends Stack {
  readonly dataLake: DataLake;
  readonly eventBus: EventBus;
  readonly notifications: Notifications;
  readonly ingestion: Ingestion;
  readonly identity: IdentityResolution;
  readonly catalog: TrustedCatalog;
  readonly activation: AudienceActivation;
  readonly training: PersonalizeTraining;
  readonly segmentSync: SegmentSync;
  /** Privacy requests (access, erasure) dropped under privacy/requests/ in the landing bucket. */
  readonly privacy: PrivacyRequests;
  /** Live Segment events to Personalize; only with `segmentPartnerEventSource`. */
  readonly realtimeRelay?: RealtimeRelay;
  /** The Segment step of privacy erasures (its `branch()` joins the privacy workflow's store steps). */
  readonly privacySegment: PrivacySegment;
  /** The IAM-auth recommendations URL; only with `realtimeRecommendations=true`. */
  readonly recommendations?: Recommendations;
  /** Churn and repurchase scores on SageMaker; only with `propensity=true`. */
  readonly propensity?: PropensityScoring;

  constructor(scope: Construct, id: string, props: CdpAudiencesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // The email is a parameter so `cdk synth` works without one, while `cdk deploy` without
    // `-c email=…` stops and names the parameter to fill.
    const email = new CfnParameter(this, 'NotificationEmail', {
      type: 'String',
      description:
        'Who receives the "audiences ready" and failure emails (deploy with -c email=you@example.com)',
      default: config.email,
      allowedPattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      constraintDescription: 'needs an email address: deploy with npx cdk deploy -c email=you@example.com',
    });

    this.dataLake = new DataLake(this, 'DataLake', {
      landingRetentionDays: config.landingRetentionDays,
      outputRetentionDays: config.outputRetentionDays,
      removalPolicy,
    });
    this.eventBus = new EventBus(this, 'EventBus', { namePrefix: config.namePrefix });
    this.notifications = new Notifications(this, 'Notifications', {
      eventBus: this.eventBus,
      email: email.valueAsString,
      removalPolicy,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      dataLake: this.dataLake,
      eventBus: this.eventBus,
      notifications: this.notifications,
      maxBadShare: config.maxBadShare,
      phoneRegion: config.phoneRegion,
      removalPolicy,
    });
    this.identity = new IdentityResolution(this, 'Identity', {
      dataLake: this.dataLake,
      eventBus: this.eventBus,
      notifications: this.notifications,
      removalPolicy,
    });
    this.catalog = new TrustedCatalog(this, 'Catalog', {
      dataLake: this.dataLake,
      // Glue database names take no dashes.
      databaseName: `${config.namePrefix.replace(/-/g, '_')}_trusted`,
    });
    this.activation = new AudienceActivation(this, 'Activation', {
      dataLake: this.dataLake,
      eventBus: this.eventBus,
      notifications: this.notifications,
      destination: config.audienceDestination,
      pinpointApplicationId: config.pinpointApplicationId,
      connect: {
        namePrefix: config.namePrefix,
        existingDomainName: config.customerProfilesDomain,
        allowProfileCreation: config.customerProfilesCreateProfiles,
        writesPerSecond: config.customerProfilesWritesPerSecond,
        writerConcurrency: config.customerProfilesWriterConcurrency,
      },
      holdoutPercent: config.holdoutPercent,
      removalPolicy,
    });
    if (config.realtimeRecommendations) {
      this.recommendations = new Recommendations(this, 'Recommendations', {
        namePrefix: config.namePrefix,
        filterArn: config.recommendationsFilterArn,
        removalPolicy,
      });
    }
    this.training = new PersonalizeTraining(this, 'Training', {
      dataLake: this.dataLake,
      eventBus: this.eventBus,
      notifications: this.notifications,
      removalPolicy,
      ...(config.segmentPartnerEventSource
        ? { trackingIdParameterName: trackingIdParameterName(config.namePrefix) }
        : {}),
      ...(this.recommendations
        ? {
            recommendations: {
              campaignName: this.recommendations.campaignName,
              campaignArn: this.recommendations.campaignArn,
              minProvisionedTps: config.recommendationsMinProvisionedTps,
              url: this.recommendations.url.url,
            },
          }
        : {}),
    });
    this.segmentSync = new SegmentSync(this, 'SegmentSync', {
      dataLake: this.dataLake,
      eventBus: this.eventBus,
      notifications: this.notifications,
      writeKeySecretName: config.segmentWriteKeySecretName,
      region: config.segmentRegion,
      endpoint: config.segmentEndpoint,
      reservedConcurrency: config.segmentReservedConcurrency,
      removalPolicy,
    });
    this.privacySegment = new PrivacySegment(this, 'PrivacySegment', {
      dataLake: this.dataLake,
      region: config.segmentRegion,
      ...(config.segmentPublicApiTokenSecretName
        ? { tokenSecretName: config.segmentPublicApiTokenSecretName }
        : {}),
      removalPolicy,
    });
    if (config.segmentPartnerEventSource) {
      this.realtimeRelay = new RealtimeRelay(this, 'RealtimeRelay', {
        namePrefix: config.namePrefix,
        partnerEventSource: config.segmentPartnerEventSource,
        eventTypes: config.realtimeEventTypes,
        itemIdPath: config.realtimeItemIdPath,
        reservedConcurrency: config.realtimeReservedConcurrency,
        notifications: this.notifications,
        removalPolicy,
      });
    }
    // After the activation: an erasure also deletes the subjects from its destination.
    this.privacy = new PrivacyRequests(this, 'Privacy', {
      dataLake: this.dataLake,
      notifications: this.notifications,
      eventBus: this.eventBus,
      phoneRegion: config.phoneRegion,
      removalPolicy,
      // Segment's regulation is its own branch; the email lists it as manual without a token.
      extraStores: [this.privacySegment],
      destination: this.activation.connect
        ? {
            kind: 'connect-customer-profiles',
            domainName: this.activation.connect.domainName,
            domainArn: this.activation.connect.domainArn,
          }
        : this.activation.applicationId
          ? { kind: 'pinpoint', applicationId: this.activation.applicationId }
          : undefined,
    });

    // Every Lambda that ingests or sends customer IDs drops the erased subjects (privacy/suppressed/).
    this.privacy.grantSuppressionRead(
      this.ingestion.ingestFunction,
      this.ingestion.rangeFunction,
      this.activation.buildFunction,
      ...(this.activation.connect ? [this.activation.connect.audienceFunction] : []),
      this.segmentSync.pushFunction,
    );

    // What `cdp train` looks up to upload a training folder and link to its run.
    new CfnOutput(this, STACK_OUTPUTS.landingBucket, {
      value: this.dataLake.landing.bucketName,
      description: 'The landing bucket: training folders go under personalize/<dataset-group>/',
    });
    new CfnOutput(this, STACK_OUTPUTS.trainingStateMachine, {
      value: this.training.stateMachine.stateMachineArn,
      description: 'The Personalize training workflow',
    });
    new CfnOutput(this, STACK_OUTPUTS.privacyStateMachine, {
      value: this.privacy.stateMachine.stateMachineArn,
      description: 'The privacy request workflow (cdp privacy access|erase --stack)',
    });
    if (config.propensity) {
      this.propensity = new PropensityScoring(this, 'Propensity', {
        dataLake: this.dataLake,
        eventBus: this.eventBus,
        notifications: this.notifications,
        catalog: this.catalog,
        namePrefix: config.namePrefix,
        churnDays: config.propensityChurnDays,
        repurchaseDays: config.propensityRepurchaseDays,
        aucFloor: config.propensityAucFloor,
        winbackTopPercent: config.propensityWinbackPercent,
        instanceType: config.propensityInstanceType,
        schedule: config.propensitySchedule === 'off' ? undefined : config.propensitySchedule,
        startOnIngest: config.propensityOnIngest,
        workRetentionDays: config.propensityWorkRetentionDays,
        removalPolicy,
      });
    }
  }
}

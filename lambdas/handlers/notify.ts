import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { formatEmail } from '../core/notifications/format-email';

const sns = new SNSClient({});
const topicArn = process.env.TOPIC_ARN;

/** Turns a bus event into a readable email on the notifications topic. */
export async function handler(event: EventBridgeEvent<string, unknown>): Promise<{ subject: string }> {
  if (!topicArn) throw new Error('TOPIC_ARN is not set');
  const email = formatEmail({
    detailType: event['detail-type'],
    detail: event.detail,
    time: event.time,
    region: event.region,
  });
  await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: email.subject, Message: email.body }));
  logger.info('notification sent', { detailType: event['detail-type'], subject: email.subject });
  return { subject: email.subject };
}

import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of a container: structured JSON lines in CloudWatch, created once at cold start. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'cdp-audiences' });

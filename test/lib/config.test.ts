import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config';

describe('parseConfig', () => {
  it('fills every default when nothing is given', () => {
    const config = parseConfig({});

    expect(config).toEqual({
      email: undefined,
      namePrefix: 'cdp',
      removalPolicy: 'retain',
      landingRetentionDays: 30,
      segmentWriteKeySecretName: 'cdp-audiences/segment-write-key',
      segmentRegion: 'us',
      pinpointApplicationId: undefined,
      audienceDestination: 's3',
      holdoutPercent: 10,
      maxBadShare: 0.05,
      phoneRegion: 'US',
    });
  });

  it('reads numbers given as strings by -c flags', () => {
    const config = parseConfig({ landingRetentionDays: '14', holdoutPercent: '5' });

    expect(config.landingRetentionDays).toBe(14);
    expect(config.holdoutPercent).toBe(5);
  });

  it('treats an empty value as absent', () => {
    expect(parseConfig({ pinpointApplicationId: '' }).pinpointApplicationId).toBeUndefined();
  });

  it.each([
    [{ email: 'not-an-email' }, /^Config key "email" must be an email address, e\.g\. -c email=/],
    [{ namePrefix: 'Acme_Prod' }, /^Config key "namePrefix" must be 1-20 lowercase letters/],
    [{ removalPolicy: 'delete' }, /^Config key "removalPolicy" must be "retain" .* or "destroy"/],
    [
      { landingRetentionDays: 'a month' },
      /^Config key "landingRetentionDays" must be a whole number of days/,
    ],
    [{ landingRetentionDays: '0' }, /^Config key "landingRetentionDays" must be at least 1 day/],
    [{ holdoutPercent: '75' }, /^Config key "holdoutPercent" must be at most 50 percent/],
    [{ holdoutPercent: '-1' }, /^Config key "holdoutPercent" must be at least 0/],
    [{ maxBadShare: '5' }, /^Config key "maxBadShare" must be at most 1/],
    [{ maxBadShare: 'some' }, /^Config key "maxBadShare" must be a share from 0 to 1/],
    [{ phoneRegion: 'uk' }, /^Config key "phoneRegion" must be a two-letter country code/],
    [{ phoneRegion: 'XX' }, /^Config key "phoneRegion" must be a country libphonenumber-js knows/],
    [{ audienceDestination: 'braze' }, /^Config key "audienceDestination" must be "s3" .* or "pinpoint"/],
    [
      { pinpointApplicationId: 'my-app' },
      /^Config key "pinpointApplicationId" must be a Pinpoint project ID/,
    ],
    [
      { segmentWriteKeySecretName: 'has spaces' },
      /^Config key "segmentWriteKeySecretName" must be a Secrets Manager secret name/,
    ],
    [{ segmentRegion: 'apac' }, /^Config key "segmentRegion" must be "us" or "eu"/],
  ])('rejects %j with a sentence naming the key and the fix', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it('quotes the bad value back to the user', () => {
    expect(() => parseConfig({ holdoutPercent: '75' })).toThrow('(got "75")');
  });

  it('reports every bad key at once, one sentence each', () => {
    let error: Error | undefined;
    try {
      parseConfig({ email: 'x', holdoutPercent: '99' });
    } catch (e) {
      error = e as Error;
    }

    expect(error?.message.split('\n')).toHaveLength(2);
  });
});

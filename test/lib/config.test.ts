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
      segmentEndpoint: undefined,
      segmentReservedConcurrency: 2,
      outputRetentionDays: 90,
      pinpointApplicationId: undefined,
      audienceDestination: 's3',
      holdoutPercent: 10,
      maxBadShare: 0.05,
      phoneRegion: 'US',
      segmentPartnerEventSource: undefined,
      realtimeEventTypes: {
        'Product Viewed': 'View',
        'Product Clicked': 'Click',
        'Product Added': 'AddToCart',
        'Order Completed': 'Purchase',
      },
      realtimeItemIdPath: 'properties.product_id',
      realtimeReservedConcurrency: 5,
      customerProfilesDomain: undefined,
      customerProfilesCreateProfiles: false,
      customerProfilesWritesPerSecond: 50,
      customerProfilesWriterConcurrency: 2,
      realtimeRecommendations: false,
      recommendationsMinProvisionedTps: 1,
      recommendationsFilterArn: undefined,
      propensity: false,
      propensitySchedule: 'off',
      propensityOnIngest: false,
      propensityAucFloor: 0.65,
      propensityChurnDays: 90,
      propensityRepurchaseDays: 30,
      propensityWinbackPercent: 20,
      propensityInstanceType: 'ml.m5.xlarge',
      propensityWorkRetentionDays: 7,
    });
  });

  it('takes the connect-customer-profiles destination with an existing domain and profile creation on', () => {
    const config = parseConfig({
      audienceDestination: 'connect-customer-profiles',
      customerProfilesDomain: 'acme-customers',
      customerProfilesCreateProfiles: 'true',
      customerProfilesWritesPerSecond: '80',
    });

    expect(config).toMatchObject({
      audienceDestination: 'connect-customer-profiles',
      customerProfilesDomain: 'acme-customers',
      customerProfilesCreateProfiles: true,
      customerProfilesWritesPerSecond: 80,
    });
  });

  it('refuses a domain name Customer Profiles would refuse, and a rate below one write per writer', () => {
    expect(() => parseConfig({ customerProfilesDomain: 'acme customers' })).toThrow(
      /customerProfilesDomain" must be a Customer Profiles domain name/,
    );
    expect(() =>
      parseConfig({ customerProfilesWritesPerSecond: '3', customerProfilesWriterConcurrency: '4' }),
    ).toThrow(/customerProfilesWritesPerSecond" must be at least customerProfilesWriterConcurrency/);
  });

  it('reads the recommendations keys from -c flags and refuses a TPS of 0 or a filter that is not a filter ARN', () => {
    const config = parseConfig({ realtimeRecommendations: 'true', recommendationsMinProvisionedTps: '3' });

    expect(config.realtimeRecommendations).toBe(true);
    expect(config.recommendationsMinProvisionedTps).toBe(3);
    expect(() => parseConfig({ recommendationsMinProvisionedTps: '0' })).toThrow(
      'Config key "recommendationsMinProvisionedTps" must be at least 1',
    );
    expect(() => parseConfig({ realtimeRecommendations: 'yes' })).toThrow(
      'Config key "realtimeRecommendations" must be true or false',
    );
    expect(() => parseConfig({ recommendationsFilterArn: 'exclude-purchased' })).toThrow(
      'Config key "recommendationsFilterArn" must be the ARN of a Personalize filter',
    );
  });

  it('reads the real-time event type map as JSON from a -c flag, or as an object from cdk.json', () => {
    expect(parseConfig({ realtimeEventTypes: '{"Video Watched":"watch"}' }).realtimeEventTypes).toEqual({
      'Video Watched': 'watch',
    });
    expect(parseConfig({ realtimeEventTypes: { 'Video Watched': 'watch' } }).realtimeEventTypes).toEqual({
      'Video Watched': 'watch',
    });
  });

  it('refuses a real-time event type map that is not a JSON object of names, naming the key', () => {
    expect(() => parseConfig({ realtimeEventTypes: 'Product Viewed=View' })).toThrow(/realtimeEventTypes/);
    expect(() => parseConfig({ realtimeEventTypes: '{}' })).toThrow(/at least one event/);
  });

  it('reads numbers given as strings by -c flags', () => {
    const config = parseConfig({ landingRetentionDays: '14', holdoutPercent: '5' });

    expect(config.landingRetentionDays).toBe(14);
    expect(config.holdoutPercent).toBe(5);
  });

  it('requires an existing Pinpoint project with the pinpoint destination, since none can be created', () => {
    expect(() => parseConfig({ audienceDestination: 'pinpoint' })).toThrow(
      /^Config key "pinpointApplicationId" is required with audienceDestination=pinpoint: .*2026-10-30.*-c audienceDestination=s3/,
    );
    expect(
      parseConfig({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) }),
    ).toMatchObject({
      audienceDestination: 'pinpoint',
    });
  });

  it('takes an https Segment base URL with a path prefix and drops its trailing slash', () => {
    expect(parseConfig({ segmentEndpoint: 'https://gateway.example.com/segment/' }).segmentEndpoint).toBe(
      'https://gateway.example.com/segment',
    );
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
    [
      { segmentEndpoint: 'http://segment.example.com' },
      /^Config key "segmentEndpoint" must be an https:\/\/ base URL/,
    ],
    [
      { segmentEndpoint: 'segment.example.com' },
      /^Config key "segmentEndpoint" must be an https:\/\/ base URL/,
    ],
    [
      { segmentEndpoint: 'https://api.segment.io/v1/batch' },
      /^Config key "segmentEndpoint" .*without .*\/v1\/batch/,
    ],
    [
      { segmentEndpoint: 'https://proxy.example.com/?key=1' },
      /^Config key "segmentEndpoint" .*without query/,
    ],
    [{ segmentEndpoint: 'https://user:pw@proxy.example.com' }, /^Config key "segmentEndpoint" .*credentials/],
    [{ outputRetentionDays: '0' }, /^Config key "outputRetentionDays" must be at least 1 day/],
    [{ segmentReservedConcurrency: '0' }, /^Config key "segmentReservedConcurrency" must be at least 1/],
    [{ segmentReservedConcurrency: '5' }, /^Config key "segmentReservedConcurrency" must be at most 4/],
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

  it('turns propensity on from -c strings, with weekly as a Scheduler expression', () => {
    const config = parseConfig({
      propensity: 'true',
      propensitySchedule: 'weekly',
      propensityOnIngest: 'false',
    });

    expect(config.propensity).toBe(true);
    expect(config.propensitySchedule).toBe('cron(0 3 ? * MON *)');
    expect(config.propensityOnIngest).toBe(false);
  });

  it('keeps propensity working files for the configured whole number of days', () => {
    expect(parseConfig({ propensityWorkRetentionDays: '3' }).propensityWorkRetentionDays).toBe(3);
    expect(() => parseConfig({ propensityWorkRetentionDays: '0' })).toThrow(
      /"propensityWorkRetentionDays" must be a whole number of days from 1 to 365/,
    );
  });

  it('refuses a propensity flag that is not true or false, and an AUC floor below a coin toss', () => {
    expect(() => parseConfig({ propensity: 'yes' })).toThrow(/"propensity" must be true or false/);
    expect(() => parseConfig({ propensityAucFloor: '0.4' })).toThrow(
      /"propensityAucFloor" must be at least 0.5/,
    );
  });

  it('leaves the Segment Public API token unset by default and refuses a name that is not a secret name', () => {
    expect(parseConfig({}).segmentPublicApiTokenSecretName).toBeUndefined();
    expect(
      parseConfig({ segmentPublicApiTokenSecretName: 'cdp-audiences/segment-public-api-token' })
        .segmentPublicApiTokenSecretName,
    ).toBe('cdp-audiences/segment-public-api-token');
    expect(() => parseConfig({ segmentPublicApiTokenSecretName: 'has spaces' })).toThrow(
      /"segmentPublicApiTokenSecretName" must be a Secrets Manager secret name/,
    );
  });
});

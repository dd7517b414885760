import {
  DEFAULT_EVENT_TYPES,
  DEFAULT_ITEM_ID_PATH,
  type RelayMapping,
} from '../../../lambdas/core/realtime/map-track';

export const MAPPING: RelayMapping = {
  eventTypes: DEFAULT_EVENT_TYPES,
  itemIdPath: DEFAULT_ITEM_ID_PATH,
  eventValue: true,
};

/** A Segment track as the EventBridge destination delivers it; `detail` fields override the defaults. */
export function track(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: 'b1f0c6a2-0000-4000-8000-000000000001',
    'detail-type': 'track',
    source: 'aws.partner/segment.com/AbCdEf123',
    account: '111122223333',
    time: '2026-11-30T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      type: 'track',
      event: 'Product Viewed',
      messageId: 'msg-1',
      anonymousId: 'anon-1',
      userId: 'user-1',
      timestamp: '2026-11-30T10:00:00.000Z',
      properties: { product_id: 'item-1', price: 19.99 },
      ...detail,
    },
  };
}

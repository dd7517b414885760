import { z } from 'zod';

/**
 * A Segment event as Segment's Amazon EventBridge destination delivers it: an EventBridge event whose
 * `source` is the partner event source (`aws.partner/segment.com/<source ID>`), whose `detail-type`
 * is the Segment call type (`track`, `identify`, …) and whose `detail` is the Segment message itself.
 * Only the fields the relay reads are checked; the rest pass through untouched.
 */
export const segmentEnvelopeSchema = z.looseObject({
  source: z.string().optional(),
  'detail-type': z.string().optional(),
  detail: z.looseObject({
    type: z.string().optional(),
    event: z.string().optional(),
    messageId: z.string().optional(),
    userId: z.string().nullish(),
    anonymousId: z.string().nullish(),
    timestamp: z.string().optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type SegmentEnvelope = z.infer<typeof segmentEnvelopeSchema>;
export type SegmentMessage = SegmentEnvelope['detail'];

/** The partner event sources Segment creates are named `aws.partner/segment.com/<source ID>`. */
export const SEGMENT_PARTNER_SOURCE_PREFIX = 'aws.partner/segment.com/';
/** The detail-type Segment gives a track call. */
export const TRACK_DETAIL_TYPE = 'track';

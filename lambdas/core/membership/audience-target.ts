import { shortHash } from '../activation/audience-name';
import { UserFacingError } from '../errors';
import type { AudienceTarget } from '../ports/audience-membership';

/** Customer Profiles attribute keys: 1–255 characters, `^[a-zA-Z_][a-zA-Z_0-9-]*$` (ProfileAttributes). */
const ATTRIBUTE_KEY = /^[a-zA-Z_][a-zA-Z_0-9-]{0,254}$/;
/** Segment definition names: 1–64 characters of `[a-zA-Z0-9_-]` (CreateSegmentDefinition). */
const MAX_SEGMENT_NAME = 64;

/**
 * The attribute and segment definition of an audience, from its key (`genres-action`), so every job
 * that builds the same query writes the same attribute and targets the same segment.
 *
 * The segment definition is never updated (a change replaces it, and a campaign pointing at it would
 * lose its target); its name carries a version, `v1`, that changes only if the definition's
 * condition ever has to change, so a new definition gets a new name next to the old one.
 */
export function audienceTarget(audienceKey: string): AudienceTarget {
  const attribute = `aud_${audienceKey}`;
  if (!ATTRIBUTE_KEY.test(attribute)) {
    throw new UserFacingError(
      `audience key "${audienceKey}" cannot be a Customer Profiles attribute name (letters, digits, _ and -, at most 251 characters)`,
    );
  }
  const full = `cdp-${audienceKey}-v1`;
  const segmentName =
    full.length <= MAX_SEGMENT_NAME
      ? full
      : `cdp-${audienceKey.slice(0, MAX_SEGMENT_NAME - 16)}-${shortHash(audienceKey, 8)}-v1`;
  return { audienceKey, attribute, segmentName };
}

/** The attribute value of a member; the segment definition tests `Attributes.aud_<audience>` IN [this]. */
export const MEMBER_VALUE = 'IN';

import { describe, expect, it } from 'vitest';
import { audienceTarget } from '../../../lambdas/core/membership';

describe('audienceTarget', () => {
  it('names the attribute aud_<audience> and a versioned segment definition', () => {
    expect(audienceTarget('genres-action')).toEqual({
      audienceKey: 'genres-action',
      attribute: 'aud_genres-action',
      segmentName: 'cdp-genres-action-v1',
    });
  });

  it('keeps a long audience key within the 64 characters of a segment definition name, distinctly', () => {
    const a = audienceTarget(`${'x'.repeat(60)}_aaaaaaaa`);
    const b = audienceTarget(`${'x'.repeat(60)}_bbbbbbbb`);
    expect(a.segmentName.length).toBeLessThanOrEqual(64);
    expect(a.segmentName).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(a.segmentName).not.toBe(b.segmentName);
  });
});

import { describe, expect, it } from 'vitest';
import { outcomeOf, type ActivationManifest } from '../../../lambdas/core/activation/manifest';

const audience = { name: 'genres-action--weekly' } as ActivationManifest['audiences'][number];
const manifest = (audiences: number, issueCount: number) =>
  ({
    audiences: Array.from({ length: audiences }, () => audience),
    issueCount,
  }) as unknown as ActivationManifest;

describe('outcomeOf', () => {
  it.each([
    [2, 0, 'complete'],
    [2, 1, 'partial'],
    [1, 5, 'partial'],
    [0, 3, 'nothing-usable'],
    [0, 0, 'nothing-usable'],
  ] as const)('calls %i audiences with %i reported lines %s', (audiences, issues, expected) => {
    // Act
    const outcome = outcomeOf(manifest(audiences, issues));

    // Assess
    expect(outcome).toBe(expected);
  });
});

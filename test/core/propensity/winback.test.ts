import { describe, expect, it } from 'vitest';
import { audienceKeyOf } from '../../../lambdas/core/activation/audience-name';
import { isHeldOut } from '../../../lambdas/core/activation/holdout';
import {
  buildWinbackAudience,
  selectWinback,
  type WinbackCandidate,
  winbackQuery,
} from '../../../lambdas/core/propensity/winback';
import { memorySink } from '../activation/fixtures';

/** 1,000 customers; even-numbered ones have bought before; scores spread without ties. */
const candidates: WinbackCandidate[] = Array.from({ length: 1_000 }, (_, i) => ({
  customerId: `C${String(i).padStart(6, '0')}`,
  churnScore: ((i * 7_919) % 1_000) / 1_000,
  purchasedBefore: i % 2 === 0,
}));

describe('the win-back audience', () => {
  it('takes the top share by churn score among customers who bought before', () => {
    const selected = selectWinback(candidates, 20);

    const eligible = candidates.filter((c) => c.purchasedBefore).sort((a, b) => b.churnScore - a.churnScore);
    expect(selected).toEqual(eligible.slice(0, 100).map((c) => c.customerId));
  });

  it('breaks tied scores by customer ID, whatever the input order', () => {
    const tied = ['C3', 'C1', 'C2'].map((customerId) => ({
      customerId,
      churnScore: 0.5,
      purchasedBefore: true,
    }));

    expect(selectWinback(tied, 100)).toEqual(['C1', 'C2', 'C3']);
    expect(selectWinback([...tied].reverse(), 100)).toEqual(['C1', 'C2', 'C3']);
  });

  it('writes the same files for the same scores, in any input order', async () => {
    const first = memorySink();
    const second = memorySink();

    await buildWinbackAudience(candidates, first, { holdoutPercent: 10, jobName: 'propensity-2026-01-05' });
    await buildWinbackAudience([...candidates].reverse(), second, {
      holdoutPercent: 10,
      jobName: 'propensity-2026-01-05',
    });

    expect([...first.files.keys()].sort()).toEqual([...second.files.keys()].sort());
    for (const [key, bytes] of first.files) expect(second.files.get(key)!.equals(bytes), key).toBe(true);
  });

  it('splits the selected customers between the import and hold-out files by the activation hold-out', async () => {
    const sink = memorySink();

    const manifest = await buildWinbackAudience(candidates, sink, {
      holdoutPercent: 10,
      jobName: 'propensity-2026-01-05',
    });

    const audience = manifest.audiences[0]!;
    const key = audienceKeyOf({ itemAttributes: winbackQuery(20) });
    expect(audience.audienceKey).toBe(key);
    const targeted = sink.rows(audience.files.import).slice(1).flat();
    const heldOut = sink.rows(audience.files.holdout!).slice(1).flat();
    const selected = selectWinback(candidates, 20);
    expect([...targeted, ...heldOut].sort()).toEqual([...selected].sort());
    for (const id of heldOut) expect(isHeldOut(id, key, 10), id).toBe(true);
    for (const id of targeted) expect(isHeldOut(id, key, 10), id).toBe(false);
    expect(heldOut.length).toBeGreaterThan(0);
    expect(audience.size).toBe(targeted.length);
    expect(audience.holdoutSize).toBe(heldOut.length);
    expect(sink.rows(audience.files.import)[0]).toEqual(['User.UserId']);
  });
});

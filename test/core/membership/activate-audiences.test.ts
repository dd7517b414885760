import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../lambdas/adapters/local-object-store';
import { activateAudiences } from '../../../lambdas/core/membership';
import {
  MembershipWriteError,
  type AudienceMembership,
  type FailedChange,
  type MembershipChange,
} from '../../../lambdas/core/ports/audience-membership';

const manifest = {
  keyMode: 'userId' as const,
  holdoutPercent: 0,
  audiences: [
    { name: 'genres-action--w', audienceKey: 'genres-action', files: { import: 'genres-action--w.csv' } },
  ],
} as never;

describe('activateAudiences', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'activate-core-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function folder(name: string, users: string[]) {
    mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, 'genres-action--w.csv'), ['User.UserId', ...users].join('\n') + '\n');
    return new LocalObjectStore({ root: path.join(dir, name) });
  }

  function membership(failing: Set<string>) {
    const members = new Set<string>();
    const written: MembershipChange[] = [];
    const port: AudienceMembership = {
      prepare: async () => undefined,
      write: async (_t, change) => {
        if (failing.has(change.userId)) throw new MembershipWriteError('rejected', 'refused');
        written.push(change);
        if (change.kind === 'enter') members.add(change.userId);
        else members.delete(change.userId);
      },
      startEstimate: async () => 'e',
      readEstimate: async () => ({ status: 'SUCCEEDED', size: members.size }),
    };
    return { port, members, written };
  }

  const options = {
    apply: {
      ratePerSecond: 1e6,
      concurrency: 2,
      maxAttempts: 2,
      baseDelayMs: 0,
      maxDelayMs: 0,
      sleep: async () => undefined,
      now: () => 0,
      random: () => 0,
    },
    estimate: { maxPolls: 2, pollIntervalMs: 0, tolerance: 0, sleep: async () => undefined },
  };

  it('sends a change that failed again on the next run, and keeps it meanwhile', async () => {
    const state = new LocalObjectStore({ root: path.join(dir, 'state') });
    const failing = new Set(['u3']);
    const destination = membership(failing);
    const kept: FailedChange[] = [];
    const keep = { keep: async (f: FailedChange) => void kept.push(f) };

    const [first] = await activateAudiences(
      manifest,
      folder('w1', ['u1', 'u2', 'u3']),
      state,
      destination.port,
      keep,
      options,
    );
    failing.clear();
    destination.written.length = 0;
    const [second] = await activateAudiences(
      manifest,
      folder('w2', ['u1', 'u2', 'u3']),
      state,
      destination.port,
      keep,
      options,
    );

    expect(first!.writes).toMatchObject({ applied: 2, failed: 1 });
    expect(first!.size).toMatchObject({ status: 'mismatch', expected: 3, estimated: 2 });
    expect(kept).toEqual([expect.objectContaining({ userId: 'u3', kind: 'enter', reason: 'refused' })]);
    expect(destination.written).toEqual([{ userId: 'u3', kind: 'enter' }]);
    expect(second!.size.status).toBe('match');
    expect([...destination.members].sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('refuses endpoint-ID audiences', async () => {
    await expect(
      activateAudiences(
        { ...(manifest as object), keyMode: 'endpointId' } as never,
        folder('w1', []),
        new LocalObjectStore({ root: path.join(dir, 'state') }),
        membership(new Set()).port,
        { keep: async () => undefined },
        options,
      ),
    ).rejects.toThrow(/user IDs/);
  });
});

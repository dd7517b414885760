import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerSegmentSink, startSinkCommand } from '../../../lambdas/local/commands/segment-sink';

describe('cdp segment-sink', () => {
  it('serves /v1/batch with the given write key and tells how to push to it', async () => {
    const lines: string[] = [];
    const sink = await startSinkCommand({ port: 0, writeKey: 'k-1', errorRate: 0, rateLimitRate: 0 }, (l) =>
      lines.push(l),
    );
    try {
      const response = await fetch(`${sink.url}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('k-1:').toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          batch: [{ type: 'identify', userId: 'u1', messageId: 'm1', traits: { churn_propensity: 0.4 } }],
        }),
      });

      expect(response.status).toBe(200);
      expect(sink.stats().uniqueEvents).toBe(1);
      expect(lines.join('\n')).toContain(`--endpoint ${sink.url}`);
    } finally {
      await sink.close();
    }
  });

  it('refuses a request with another write key', async () => {
    const sink = await startSinkCommand(
      { port: 0, writeKey: 'k-1', errorRate: 0, rateLimitRate: 0 },
      () => {},
    );
    try {
      const response = await fetch(`${sink.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('wrong:').toString('base64')}` },
        body: JSON.stringify({ batch: [] }),
      });

      expect(response.status).toBe(401);
    } finally {
      await sink.close();
    }
  });

  it('injects connection resets and slow answers when asked', async () => {
    // Prepare
    const sink = await startSinkCommand(
      { port: 0, writeKey: 'k-1', errorRate: 0, rateLimitRate: 0, resetRate: 1, slowRate: 1, slowMs: 20 },
      () => {},
    );
    const post = () =>
      fetch(`${sink.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('k-1:').toString('base64')}` },
        body: JSON.stringify({ batch: [] }),
      });

    try {
      // Act
      const outcome = await post().then(
        (response) => `HTTP ${response.status}`,
        (error: Error) => (error.cause as { code?: string } | undefined)?.code ?? error.message,
      );

      // Assess
      expect(outcome).not.toMatch(/^HTTP/);
      expect(sink.stats().resets).toBe(1);
    } finally {
      await sink.close();
    }
  });

  it('takes --reset-rate, --slow-rate and --slow-ms on the command line, and refuses a share over 1', async () => {
    // Prepare
    const program = new Command().exitOverride();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    registerSegmentSink(program);

    // Act
    const parsing = program.parseAsync(['segment-sink', '--reset-rate', '1.5'], { from: 'user' });

    // Assess
    await expect(parsing).rejects.toThrow('--reset-rate must be a share from 0 to 1, e.g. 0.2');
    expect(program.commands[0]!.options.map((option) => option.long)).toEqual(
      expect.arrayContaining(['--reset-rate', '--slow-rate', '--slow-ms']),
    );
    vi.restoreAllMocks();
  });
});

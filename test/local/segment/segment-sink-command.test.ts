import { describe, expect, it } from 'vitest';
import { startSinkCommand } from '../../../lambdas/local/commands/segment-sink';

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
});

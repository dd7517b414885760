/** A fetch that answers from a script and records each request: retry tests without a network. */
export interface RecordedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body?: string } | Error;

export function scriptedFetch(script: readonly ScriptedAnswer[], options: { delayMs?: number } = {}) {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  const fetchStub = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const answer = script[Math.min(requests.length, script.length - 1)]!;
    requests.push({
      url: String(url),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body),
    });
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    try {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (answer instanceof Error) throw answer;
      return new Response(answer.body ?? '{"success":true}', {
        status: answer.status,
        headers: answer.headers ?? {},
      });
    } finally {
      inFlight -= 1;
    }
  };
  return { fetch: fetchStub as typeof fetch, requests, peak: () => peakInFlight };
}

/** What undici throws when the server resets the connection. */
export function connectionReset(): Error {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }),
  });
}

/** What undici throws when nothing listens on the port. */
export function connectionRefused(address: string, port: number): Error {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), {
      code: 'ECONNREFUSED',
      address,
      port,
    }),
  });
}

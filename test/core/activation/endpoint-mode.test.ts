import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildAudiences } from '../../../lambdas/core/activation/build-audiences';
import { readEndpointExport } from '../../../lambdas/core/activation/endpoint-export-reader';
import { chunksOf, jsonLines, memorySink, usersListLine } from './fixtures';

/** One endpoint as a Pinpoint export writes it. */
function endpoint(id: string, userId: string | undefined, channel = 'EMAIL'): Record<string, unknown> {
  return {
    ChannelType: channel,
    Address: `${id}@example.com`,
    EndpointStatus: 'ACTIVE',
    OptOut: 'NONE',
    Attributes: { interests: ['a', 'b'] },
    ...(userId === undefined ? {} : { User: { UserId: userId, UserAttributes: { tier: ['gold'] } } }),
    Id: id,
    Metrics: { sessions: 3 },
  };
}

function exportFile(
  name: string,
  ...endpoints: Record<string, unknown>[]
): { name: string; bytes: Buffer[] } {
  return { name, bytes: chunksOf(gzipSync(jsonLines(...endpoints)), 5) };
}

describe('endpoint mode', () => {
  it('indexes a gzipped export: every endpoint of every user, endpoints without a user left out', async () => {
    // Act
    const { index, stats } = await readEndpointExport([
      exportFile('part-1.gz', endpoint('e1', 'u1'), endpoint('e2', 'u1', 'SMS'), endpoint('e3', undefined)),
      exportFile('part-2.gz', endpoint('e4', 'u2'), endpoint('e5', 'u1', 'APNS')),
    ]);

    // Assess
    expect(stats).toMatchObject({ files: 2, endpoints: 4, users: 2, endpointsWithoutUser: 1, issueCount: 0 });
    expect(index.users).toBe(2);
  });

  it('writes the endpoint IDs of each user to an Id file and counts the users without an endpoint', async () => {
    // Prepare
    const { index, stats } = await readEndpointExport([
      exportFile(
        'export.gz',
        endpoint('e1', 'u1'),
        endpoint('e2', 'u1', 'SMS'),
        endpoint('e4', 'u2'),
        endpoint('e,"5"', 'u3'),
        endpoint('e6', 'ü'),
      ),
    ]);
    const sink = memorySink();
    const input = jsonLines(
      usersListLine('ITEMS.genres = "Action"', ['u1', 'nobody', 'u3', 'u1', 'ü', 'ghost']),
    );

    // Act
    const manifest = await buildAudiences(chunksOf(input, 9), sink, {
      jobName: 'weekly',
      source: 'x.out',
      keyMode: 'endpointId',
      endpointIndex: index,
      endpointExport: stats,
    });

    // Assess
    const audience = manifest.audiences[0]!;
    expect(sink.rows(audience.files.import)).toEqual([['Id'], ['e1'], ['e2'], ['e,"5"'], ['e6']]);
    expect(sink.rows(audience.files.unresolved!)).toEqual([['User.UserId'], ['nobody'], ['ghost']]);
    expect(audience).toMatchObject({ size: 3, endpoints: 4, unresolvedUsers: 2, duplicateUsers: 1 });
    expect(manifest).toMatchObject({
      keyMode: 'endpointId',
      importHeader: 'Id',
      totals: { endpoints: 4, unresolvedUsers: 2 },
    });
    expect(manifest.endpointExport).toMatchObject({ endpoints: 5, users: 4 });
  });

  it('reads a plain (not gzipped) export and reports its bad lines with file and line number', async () => {
    // Prepare
    const text =
      jsonLines(endpoint('e1', 'u1')) +
      '{"Id": "e2", "User": {"UserId": \n' +
      jsonLines({ ChannelType: 'EMAIL' });

    // Act
    const { stats } = await readEndpointExport([{ name: 'plain.jsonl', bytes: chunksOf(text, 4) }]);

    // Assess
    expect(stats.endpoints).toBe(1);
    expect(stats.issues).toEqual([
      { file: 'plain.jsonl', line: 2, reason: 'the line ends before its JSON value is complete (column 33)' },
      { file: 'plain.jsonl', line: 3, reason: 'the endpoint has no Id' },
    ]);
  });

  it('holds out users before resolving them, and lists held-out users by user ID', async () => {
    // Prepare
    const users = Array.from({ length: 2_000 }, (_, i) => `u${i}`);
    const { index } = await readEndpointExport([
      exportFile('export.gz', ...users.map((u) => endpoint(`e-${u}`, u))),
    ]);
    const sink = memorySink();

    // Act
    const manifest = await buildAudiences([jsonLines(usersListLine('ITEMS.a = "b"', users))], sink, {
      jobName: 'weekly',
      source: 'x.out',
      keyMode: 'endpointId',
      endpointIndex: index,
      holdoutPercent: 25,
    });

    // Assess
    const audience = manifest.audiences[0]!;
    const heldOut = sink
      .rows(audience.files.holdout!)
      .slice(1)
      .map(([u]) => u!);
    const reached = sink
      .rows(audience.files.import)
      .slice(1)
      .map(([e]) => e!.slice(2));
    expect(heldOut.length + reached.length).toBe(2_000);
    expect(reached.filter((u) => heldOut.includes(u))).toEqual([]);
    expect(heldOut.length / 2_000).toBeGreaterThan(0.2);
    expect(heldOut.length / 2_000).toBeLessThan(0.3);
  });
});

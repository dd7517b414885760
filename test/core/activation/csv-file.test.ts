import { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { CsvFile } from '../../../lambdas/core/activation/csv-file';
import { hashIdBytes, idHash, NEEDS_QUOTES } from '../../../lambdas/core/activation/id-bytes';

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function writeIds(ids: readonly string[], header = 'User.UserId'): Promise<string> {
  const out = collector();
  const file = new CsvFile('test.csv', out.stream, header);
  for (const id of ids) {
    const bytes = Buffer.from(id, 'utf8');
    hashIdBytes(bytes, 0, bytes.length);
    file.field(bytes, 0, bytes.length, (idHash[2]! & NEEDS_QUOTES) !== 0);
  }
  await file.close();
  return out.text();
}

describe('CsvFile', () => {
  it('writes every field byte for byte as csv-stringify does, for every ASCII character', async () => {
    // Prepare
    const ids = Array.from({ length: 128 }, (_, c) => `a${String.fromCharCode(c)}b`).concat([
      '',
      ' ',
      '"',
      ',',
      '\n',
      '\r\n',
      'é',
      '日本',
      '😀',
    ]);

    // Act
    const written = await writeIds(ids);

    // Assess
    expect(written).toBe(stringify([['User.UserId'], ...ids.map((id) => [id])]));
  });

  it('writes files larger than its buffer in order', async () => {
    // Prepare
    const ids = Array.from({ length: 200_000 }, (_, i) => `user-${i}${i % 1000 === 0 ? ',x' : ''}`);

    // Act
    const written = await writeIds(ids, 'Id');

    // Assess
    expect(written).toBe(stringify([['Id'], ...ids.map((id) => [id])]));
  });

  it('discards the file when aborted: the stream is destroyed with an error', async () => {
    // Prepare
    const out = collector();
    const file = new CsvFile('x.csv', out.stream, 'User.UserId');

    // Act
    file.abort();

    // Assess
    expect(out.stream.destroyed).toBe(true);
    expect(out.stream.errored?.message).toBe('x.csv was discarded');
  });

  it('rethrows a failure of its stream when closed', async () => {
    // Prepare
    const failing = new Writable({
      write: (_chunk, _encoding, callback) => callback(new Error('disk full')),
    });
    const file = new CsvFile('x.csv', failing, 'User.UserId');

    // Act
    const closing = file.close();

    // Assess
    await expect(closing).rejects.toThrow('disk full');
  });
});

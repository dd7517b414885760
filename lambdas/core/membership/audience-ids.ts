import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { UserFacingError } from '../errors';

/**
 * The user IDs of an audience import file (`User.UserId` header, one ID per row), streamed.
 * Endpoint-ID files (`Id` header) are refused: Customer Profiles are found by user, not endpoint.
 */
export async function* readAudienceIds(
  source: AsyncIterable<Uint8Array>,
  fileName: string,
): AsyncGenerator<string> {
  const parser = parse({ relax_column_count: false });
  const parsing = pipeline(Readable.from(source), parser);
  parsing.catch(() => undefined); // The same error ends the iteration below.
  let header = true;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (header) {
      header = false;
      if (record[0] !== 'User.UserId') {
        throw new UserFacingError(
          `the header is "${record.join(',')}", not "User.UserId": only user-ID audiences can go to Customer Profiles (build them with --key userId)`,
          { location: fileName },
        );
      }
      continue;
    }
    const id = record[0];
    if (id) yield id;
  }
  await parsing;
}

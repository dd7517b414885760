/** Pinpoint endpoints as an endpoint export lists them: some customers have none, most one or two. */
import { e164Of } from './contacts';
import type { Customer } from './customers';
import { randomFor, type Random } from './random';

/** User.UserId, ChannelType, Address, Id */
export type EndpointRow = readonly [string, 'EMAIL' | 'SMS', string, string];

/** A UUID-shaped endpoint ID (version 4 layout), drawn from the seeded stream. */
function endpointIdOf(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random.next() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random.next() * 4)]!;
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

export function endpointsOf(seed: number, customer: Customer): EndpointRow[] {
  const random = randomFor(seed, 'pinpoint', customer.index);
  // 8% never opted in anywhere; the rest have email, SMS, or both.
  const channels = random.weighted<readonly ('EMAIL' | 'SMS')[]>(
    [[], ['EMAIL'], ['SMS'], ['EMAIL', 'SMS']],
    [8, 55, 10, 27],
  );
  return channels.map((channel) => [
    customer.id,
    channel,
    channel === 'EMAIL' ? customer.email : e164Of(customer.phoneDigits),
    endpointIdOf(random),
  ]);
}

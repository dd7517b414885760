/**
 * CRM customers and in-store sales, with planted duplicate identities: the same person recorded
 * twice with a typo, in another case, with an initial, with another phone format, or re-registered
 * from a new address under the same email. The ground truth names the person behind each record.
 */
import { formatPhone, phoneDigitsOf, PHONE_FORMATS } from './contacts';
import type { Customer } from './customers';
import { randomFor, type Random } from './random';
import { initialOf, recase, recaseEmail, typo } from './variations';
import { isoOf, type Sequences } from './world';

/** How a record differs from the person's own CRM record ('original' is that record). */
export type Variation =
  'original' | 'exact' | 'typo' | 'case' | 'initial' | 'phone-format' | 'shared-email' | 'no-email';

/** customer_id, email, first_name, last_name, phone, postcode, created_at */
export type CrmRow = readonly [string, string, string, string, string, string, string];
/** receipt_id, store_id, name, email, phone, postcode, amount, sold_at */
export type StoreSaleRow = readonly [string, string, string, string, string, string, string, string];
/** source, record_id, customer_id (the person), variation */
export type IdentityTruthRow = readonly [string, string, string, Variation];

export interface IdentityRecords {
  readonly crm: CrmRow[];
  readonly store: StoreSaleRow[];
  readonly truth: IdentityTruthRow[];
}

/** Share of customers with a second CRM record. */
const CRM_DUPLICATE_RATE = 0.05;
const STORES = 24;

const CRM_DUPLICATE_VARIATIONS = ['typo', 'case', 'shared-email'] as const;
const CRM_DUPLICATE_WEIGHTS = [40, 25, 35];
const STORE_VARIATIONS = ['exact', 'case', 'initial', 'phone-format', 'typo', 'no-email'] as const;
const STORE_WEIGHTS = [45, 12, 12, 13, 10, 8];

/** One name typo'd: the last name usually, the first name sometimes. */
function typoName(random: Random, customer: Customer): { firstName: string; lastName: string } {
  return random.chance(0.7)
    ? { firstName: customer.firstName, lastName: typo(random, customer.lastName) }
    : { firstName: typo(random, customer.firstName), lastName: customer.lastName };
}

/** A second CRM record for the same person, as a second sign-up would create it. */
function crmDuplicateOf(
  random: Random,
  customer: Customer,
  id: string,
  seed: number,
  users: number,
): [CrmRow, Variation] {
  const variation = random.weighted(CRM_DUPLICATE_VARIATIONS, CRM_DUPLICATE_WEIGHTS);
  let { firstName, lastName, email, postcode } = customer;
  let phoneDigits = customer.phoneDigits;
  if (variation === 'typo') {
    ({ firstName, lastName } = typoName(random, customer));
    if (random.chance(0.5)) email = typo(random, email);
  } else if (variation === 'case') {
    if (random.chance(0.5)) [firstName, lastName] = [recase(random, firstName), recase(random, lastName)];
    email = recaseEmail(random, email);
  } else {
    // Moved house and changed phone, kept the email: only the email (and the name) links them.
    phoneDigits = phoneDigitsOf(users + customer.index, seed);
    postcode = String(random.int(10_001, 99_950)).padStart(5, '0');
  }
  const createdAt = random.int(customer.createdAt, customer.activeUntil);
  return [
    [
      id,
      email,
      firstName,
      lastName,
      formatPhone(phoneDigits, customer.phoneFormat),
      postcode,
      isoOf(createdAt),
    ],
    variation,
  ];
}

/** The details a till captured for one sale, with the drift of a busy shop floor. */
function storeIdentityOf(random: Random, customer: Customer) {
  const variation = random.weighted(STORE_VARIATIONS, STORE_WEIGHTS);
  let name = `${customer.firstName} ${customer.lastName}`;
  let email = customer.email;
  let phoneFormat = customer.phoneFormat;
  if (variation === 'case') {
    name = recase(random, name);
    if (random.chance(0.5)) email = recaseEmail(random, email);
  } else if (variation === 'initial') {
    name = `${initialOf(customer.firstName)} ${customer.lastName}`;
  } else if (variation === 'phone-format') {
    phoneFormat = random.pick(PHONE_FORMATS.filter((format) => format !== customer.phoneFormat));
  } else if (variation === 'typo') {
    const typoed = typoName(random, customer);
    name = `${typoed.firstName} ${typoed.lastName}`;
  } else if (variation === 'no-email') {
    email = '';
  }
  return { variation, name, email, phone: formatPhone(customer.phoneDigits, phoneFormat) };
}

/** The customer's CRM record(s), their in-store sales, and which person each record is. */
export function identityRecordsOf(
  seed: number,
  users: number,
  customer: Customer,
  sequences: Sequences,
): IdentityRecords {
  const random = randomFor(seed, 'identities', customer.index);
  const crm: CrmRow[] = [
    [
      customer.id,
      customer.email,
      customer.firstName,
      customer.lastName,
      formatPhone(customer.phoneDigits, customer.phoneFormat),
      customer.postcode,
      isoOf(customer.createdAt),
    ],
  ];
  const truth: IdentityTruthRow[] = [['crm', customer.id, customer.id, 'original']];
  if (random.chance(CRM_DUPLICATE_RATE)) {
    const id = sequences.nextDuplicateCustomerId();
    const [row, variation] = crmDuplicateOf(random, customer, id, seed, users);
    crm.push(row);
    truth.push(['crm', id, customer.id, variation]);
  }

  const store: StoreSaleRow[] = [];
  const homeStore = 1 + (Number(customer.postcode) % STORES);
  const activeYears = (customer.activeUntil - customer.activeFrom) / (365 * 86_400);
  const sales = random.poisson(0.7 * Math.sqrt(customer.activity) * activeYears);
  const span = customer.activeUntil - customer.activeFrom;
  const times = Array.from({ length: sales }, () => customer.activeFrom + Math.floor(random.next() * span));
  for (const soldAt of times.sort((a, b) => a - b)) {
    const receiptId = sequences.nextReceiptId();
    const storeNumber = random.chance(0.8) ? homeStore : random.int(1, STORES);
    const { variation, name, email, phone } = storeIdentityOf(random, customer);
    const amount = (5 + random.next() * random.next() * 195).toFixed(2);
    store.push([
      receiptId,
      `S${String(storeNumber).padStart(2, '0')}`,
      name,
      email,
      phone,
      customer.postcode,
      amount,
      isoOf(soldAt),
    ]);
    truth.push(['store', receiptId, customer.id, variation]);
  }
  return { crm, store, truth };
}

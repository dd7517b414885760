/**
 * Customers: who they are, what they like, and the planted truths the pipeline should recover
 * (favourite genre, churn and repurchase probabilities, shared household emails).
 *
 * Customer `index` is a pure function of (seed, index, count): no customer is held in memory, so a
 * world of millions of customers streams.
 */
import { CATEGORIES, CATEGORY_WEIGHTS, GENRE_WEIGHTS, GENRES, type Category, type Genre } from './catalog';
import { PHONE_FORMATS, phoneDigitsOf, type PhoneFormat } from './contacts';
import { EMAIL_DOMAINS, FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES } from './names';
import { randomFor } from './random';
import { DAY, SIGNUPS_END, SIGNUPS_START, WINDOW_END, WINDOW_START, customerIdOf } from './world';

export type Gender = 'F' | 'M' | 'X';

/** What a customer gave at sign-up. */
export interface Identity {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  /** Ten national digits; formatted only when written. */
  readonly phoneDigits: string;
  /** How this customer writes their phone number in the CRM. */
  readonly phoneFormat: PhoneFormat;
  /** US ZIP code. */
  readonly postcode: string;
}

export interface Customer extends Identity {
  readonly index: number;
  readonly id: string;
  readonly gender: Gender;
  readonly age: number;
  /** Epoch seconds of sign-up. */
  readonly createdAt: number;
  readonly favouriteGenre: Genre;
  readonly favouriteCategory: Category;
  /** Share of their interactions spent on their favourite genre (0.65-0.95). */
  readonly loyalty: number;
  /** Relative engagement: 1 is the median customer; drives every kind of activity. */
  readonly activity: number;
  /** Epoch seconds: activity starts at sign-up or at the window start, whichever is later. */
  readonly activeFrom: number;
  /** Epoch seconds: the window end, or the churn date for churners. */
  readonly activeUntil: number;
  readonly churnProbability: number;
  /** Drawn from churnProbability; churners go quiet at `activeUntil`. */
  readonly churned: boolean;
  /** Chance that each order is followed by another one. */
  readonly repurchaseProbability: number;
  /** Set when this customer shares an email with another one (a household): the first member's ID. */
  readonly householdId: string | undefined;
}

/** Share of customers that use their partner's email (a different person, the same address). */
const HOUSEHOLD_RATE = 0.02;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The sign-up identity of customer `index`, before any household sharing. */
function identityAt(seed: number, index: number): Identity & { gender: Gender } {
  const random = randomFor(seed, 'identity', index);
  const gender = random.weighted<Gender>(['F', 'M', 'X'], [48, 48, 4]);
  const firstNames =
    gender === 'F'
      ? FEMALE_FIRST_NAMES
      : gender === 'M'
        ? MALE_FIRST_NAMES
        : random.pick([FEMALE_FIRST_NAMES, MALE_FIRST_NAMES]);
  const firstName = random.pick(firstNames);
  const lastName = random.pick(LAST_NAMES);
  const [first, last] = [firstName.toLowerCase(), lastName.toLowerCase()];
  // The index in the local part keeps every sign-up email unique.
  const local = random.pick([
    `${first}.${last}${index}`,
    `${first[0]}${last}${index}`,
    `${last}.${first}${index}`,
  ]);
  return {
    gender,
    firstName,
    lastName,
    email: `${local}@${random.pick(EMAIL_DOMAINS)}`,
    phoneDigits: phoneDigitsOf(index, seed),
    phoneFormat: random.pick(PHONE_FORMATS),
    postcode: String(random.int(10_001, 99_950)).padStart(5, '0'),
  };
}

/** Drawn independently per customer; a customer joins the one before only if that one joins no one. */
function wantsHousehold(seed: number, index: number): boolean {
  return index > 0 && randomFor(seed, 'household', index).chance(HOUSEHOLD_RATE);
}

function joinsPrevious(seed: number, index: number, count: number): boolean {
  return index < count && wantsHousehold(seed, index) && !wantsHousehold(seed, index - 1);
}

export function customerAt(seed: number, index: number, count: number): Customer {
  const random = randomFor(seed, 'customer', index);
  let identity = identityAt(seed, index);
  let householdId: string | undefined;
  if (joinsPrevious(seed, index, count)) {
    // A partner at the same address, signed up with the other's email: the same email, not the same person.
    const partner = identityAt(seed, index - 1);
    identity = {
      ...identity,
      lastName: random.chance(0.6) ? partner.lastName : identity.lastName,
      email: partner.email,
      postcode: partner.postcode,
    };
    householdId = customerIdOf(index - 1);
  } else if (joinsPrevious(seed, index + 1, count)) {
    householdId = customerIdOf(index);
  }

  const age = Math.min(80, Math.max(18, Math.round(38 + 13 * random.normal())));
  const createdAt = random.int(SIGNUPS_START, SIGNUPS_END);
  const activity = Math.exp(0.8 * random.normal());
  const activeFrom = Math.max(createdAt, WINDOW_START);
  const isNew = createdAt >= WINDOW_START;

  // Disengaged, new and young customers churn more: a model can learn it from behaviour.
  const churnProbability = round4(
    Math.min(
      0.95,
      Math.max(
        0.01,
        sigmoid(
          -1.5 - 1.1 * Math.log(activity) + (isNew ? 0.8 : 0) + (35 - age) / 40 + 0.3 * random.normal(),
        ),
      ),
    ),
  );
  const churned = random.chance(churnProbability);
  const span = WINDOW_END - activeFrom;
  // Churners go quiet between 15% and 70% of the way through their time in the window.
  const churnedAt = activeFrom + Math.floor(span * (0.15 + 0.55 * random.next()));
  const activeUntil = churned ? Math.max(activeFrom + DAY, churnedAt) : WINDOW_END;
  const repurchaseProbability = round4(
    Math.min(
      0.9,
      Math.max(
        0.02,
        sigmoid(-0.4 + 1.0 * Math.log(activity) - 2 * (churnProbability - 0.2) + 0.3 * random.normal()),
      ),
    ),
  );

  return {
    ...identity,
    index,
    id: customerIdOf(index),
    age,
    createdAt,
    favouriteGenre: random.weighted(GENRES, GENRE_WEIGHTS),
    favouriteCategory: random.weighted(CATEGORIES, CATEGORY_WEIGHTS),
    loyalty: 0.65 + 0.3 * random.next(),
    activity,
    activeFrom,
    activeUntil,
    churnProbability,
    churned,
    repurchaseProbability,
    householdId,
  };
}

/** Every customer, in ID order. */
export function* customers(seed: number, count: number): Generator<Customer> {
  for (let index = 0; index < count; index++) yield customerAt(seed, index, count);
}

/** Days the customer is active in the window. */
export function activeDaysOf(customer: Customer): number {
  return (customer.activeUntil - customer.activeFrom) / DAY;
}

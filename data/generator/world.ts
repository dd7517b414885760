/** The shape of the generated world: its size, its calendar and how records are named. */

/** How big a world to generate, and from which seed. */
export interface WorldOptions {
  /** PRNG seed: the same seed gives byte-identical files. */
  readonly seed: number;
  /** Customers (Personalize users, CRM customers). */
  readonly users: number;
  /** Rows of personalize/interactions.csv, spread over the customers by their activity. */
  readonly interactions: number;
}

/** The observed year: every interaction, web event, order and store sale falls inside it. */
export const WINDOW_START = Date.UTC(2025, 0, 1) / 1000;
export const WINDOW_END = Date.UTC(2026, 0, 1) / 1000;

/** Customers sign up from this date on (before the window, so most have history). */
export const SIGNUPS_START = Date.UTC(2021, 0, 1) / 1000;
/** ...until this date, so even the newest have a month of activity. */
export const SIGNUPS_END = Date.UTC(2025, 11, 1) / 1000;

/** "Recent" activity, as the README and the churn checks mean it: the window's last 90 days. */
export const RECENT_DAYS = 90;

export const DAY = 86_400;

/** A catalogue about half the size of the customer base, within bounds a laptop handles. */
export function itemCountFor(users: number): number {
  return Math.min(50_000, Math.max(200, Math.round(users / 2)));
}

/** `C00000042`: the customer ID shared by Personalize, CRM, web, Pinpoint and the scores. */
export function customerIdOf(index: number): string {
  return `C${String(index + 1).padStart(8, '0')}`;
}

export function itemIdOf(index: number): string {
  return `I${String(index + 1).padStart(6, '0')}`;
}

/** Epoch seconds as ISO 8601 without milliseconds: `2025-03-04T12:34:56Z`. */
export function isoOf(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** Running IDs for records a customer can have any number of. Advanced in customer order. */
export interface Sequences {
  /** A second CRM record of an existing person gets a fresh customer ID after the real ones. */
  nextDuplicateCustomerId(): string;
  nextReceiptId(): string;
  nextOrderId(): string;
}

export function createSequences(users: number): Sequences {
  let duplicates = 0;
  let receipts = 0;
  let orders = 0;
  return {
    nextDuplicateCustomerId: () => customerIdOf(users + duplicates++),
    nextReceiptId: () => `R${String(++receipts).padStart(9, '0')}`,
    nextOrderId: () => `O${String(++orders).padStart(9, '0')}`,
  };
}

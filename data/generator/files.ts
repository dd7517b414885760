/** Every file the generator writes: where it goes and its columns, declared once. */

export interface FileSpec {
  /** Relative to the output folder. */
  readonly path: string;
  readonly columns: readonly string[];
}

export const OUTPUT_FILES = {
  /** Personalize ITEMS dataset: GENRES is pipe-separated (categorical), the field segments query. */
  items: {
    path: 'personalize/items.csv',
    columns: ['ITEM_ID', 'GENRES', 'PRICE', 'CATEGORY', 'CREATION_TIMESTAMP'],
  },
  /** Personalize USERS dataset. */
  users: { path: 'personalize/users.csv', columns: ['USER_ID', 'AGE', 'GENDER'] },
  /** Personalize INTERACTIONS dataset; TIMESTAMP in epoch seconds. */
  interactions: {
    path: 'personalize/interactions.csv',
    columns: ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'],
  },
  crmCustomers: {
    path: 'crm/customers.csv',
    columns: ['customer_id', 'email', 'first_name', 'last_name', 'phone', 'postcode', 'created_at'],
  },
  storeSales: {
    path: 'store/sales.csv',
    columns: ['receipt_id', 'store_id', 'name', 'email', 'phone', 'postcode', 'amount', 'sold_at'],
  },
  webEvents: {
    path: 'web/events.csv',
    columns: ['anonymous_id', 'customer_id', 'event', 'item_id', 'order_id', 'timestamp'],
  },
  webOrders: {
    path: 'web/orders.csv',
    columns: ['order_id', 'customer_id', 'item_count', 'amount', 'ordered_at'],
  },
  /** As a Pinpoint endpoint export flattens it; `User.UserId` is what an import CSV keys on. */
  pinpointEndpoints: {
    path: 'pinpoint/endpoints.csv',
    columns: ['User.UserId', 'ChannelType', 'Address', 'Id'],
  },
  /** The planted truth per customer. */
  truthCustomers: {
    path: 'ground-truth/customers.csv',
    columns: [
      'customer_id',
      'favourite_genre',
      'favourite_category',
      'churn_probability',
      'churned',
      'churned_at',
      'repurchase_probability',
      'household_id',
    ],
  },
  /** The person behind every CRM record, store receipt and web device. */
  truthIdentities: {
    path: 'ground-truth/identities.csv',
    columns: ['source', 'record_id', 'customer_id', 'variation'],
  },
  /**
   * Propensity scores as the Segment sync reads them. Stand-ins until the propensity models land:
   * the planted probabilities themselves, so `cdp push-scores` has a file to run on.
   */
  churnScores: { path: 'scores/churn.csv', columns: ['customer_id', 'score'] },
  repurchaseScores: { path: 'scores/repurchase.csv', columns: ['customer_id', 'score'] },
} as const satisfies Record<string, FileSpec>;

export type OutputFile = keyof typeof OUTPUT_FILES;

/** The files written once per customer, in the order they are listed in the summary. */
export type CustomerFile = Exclude<OutputFile, 'items'>;

/** A small JSON summary of the planted structure, next to the CSVs. */
export const SUMMARY_FILE = 'ground-truth.json';

/**
 * A Personalize batch segment job's output (`<input>.out`, JSON lines), one query per genre with
 * the customers whose favourite it is, so `cdp to-pinpoint` has a file to run on. At most
 * `SEGMENT_USERS_PER_GENRE` users per query keeps memory flat for large worlds.
 */
export const SEGMENT_OUTPUT_FILE = 'segments/weekly-genres.json.out';
export const SEGMENT_USERS_PER_GENRE = 10_000;

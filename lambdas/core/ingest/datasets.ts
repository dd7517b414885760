import {
  categoricalType,
  type ColumnType,
  DEFAULT_NORMALISE_OPTIONS,
  decimalType,
  emailType,
  enumType,
  epochSecondsType,
  idType,
  integerType,
  type NormaliseOptions,
  phoneType,
  textType,
  timestampType,
} from './column-types';

/**
 * Every dataset the pipeline accepts, declared once. Ingestion, the Glue tables, the Personalize
 * pre-flight and the README's table all read these definitions: adding a source means adding
 * one entry here.
 */

export interface ColumnDefinition {
  /** The header name. Headers match case-insensitively; output uses this spelling. */
  readonly name: string;
  readonly type: ColumnType;
  /** A required column must be in the header and must not be empty in any row. */
  readonly required: boolean;
  /** One line for the README. */
  readonly description: string;
}

export interface DatasetDefinition {
  /** `crm/customers`, `personalize/interactions`, … */
  readonly name: string;
  /** Where it lands: a key matching this pattern (relative to the landing bucket) is this dataset. */
  readonly landing: RegExp;
  /** The landing key as the README shows it. */
  readonly landingExample: string;
  readonly columns: readonly ColumnDefinition[];
  /** The columns that identify a row (documentation, Glue, identity); exact duplicates are dropped. */
  readonly key: readonly string[];
  /**
   * What to do with header columns that are not declared: `reject` the file, or `keep` them as
   * categorical text (Personalize items and users carry any metadata columns their schema names).
   */
  readonly extraColumns: 'reject' | 'keep';
  /** `parquet` for Athena; `csv` where the consumer imports CSV (Personalize). */
  readonly output: 'parquet' | 'csv';
  /** The Glue table name (Athena: `<database>.<table>`); absent for CSV outputs. */
  readonly table?: string;
  readonly description: string;
}

const column = (
  name: string,
  type: ColumnType,
  required: boolean,
  description: string,
): ColumnDefinition => ({ name, type, required, description });

/** The definitions, with phone numbers normalised for `options.defaultRegion`. */
export function datasetDefinitions(
  options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS,
): DatasetDefinition[] {
  const phone = phoneType(options);
  const id = idType(256);
  return [
    {
      name: 'crm/customers',
      description: 'CRM export: one row per customer record.',
      landing: /^crm\/customers([^/]*\.csv|\/.+\.csv)$/i,
      landingExample: 'crm/customers.csv',
      columns: [
        column('customer_id', id, true, 'the CRM ID, also Personalize USER_ID and Pinpoint User.UserId'),
        column('email', emailType, false, 'trimmed and lower-cased'),
        column('first_name', textType(100), false, 'as typed'),
        column('last_name', textType(100), false, 'as typed'),
        column('phone', phone, false, 'normalised to E.164'),
        column('postcode', textType(20), false, 'as typed'),
        column('created_at', timestampType, true, 'ISO 8601 or epoch seconds'),
      ],
      key: ['customer_id'],
      extraColumns: 'reject',
      output: 'parquet',
      table: 'crm_customers',
    },
    {
      name: 'store/sales',
      description: 'In-store sales: one row per receipt, with the details the till captured.',
      landing: /^store\/sales([^/]*\.csv|\/.+\.csv)$/i,
      landingExample: 'store/sales.csv',
      columns: [
        column('receipt_id', id, true, 'unique per sale'),
        column('store_id', id, true, 'the store'),
        column('name', textType(200), false, 'the customer name as the till captured it'),
        column('email', emailType, false, 'trimmed and lower-cased'),
        column('phone', phone, false, 'normalised to E.164'),
        column('postcode', textType(20), false, 'as typed'),
        column('amount', decimalType(), true, 'the sale amount'),
        column('sold_at', timestampType, true, 'ISO 8601 or epoch seconds'),
      ],
      key: ['receipt_id'],
      extraColumns: 'reject',
      output: 'parquet',
      table: 'store_sales',
    },
    {
      name: 'web/events',
      description: 'Web events: one row per event of a browser (anonymous_id), signed in or not.',
      landing: /^web\/events([^/]*\.csv|\/.+\.csv)$/i,
      landingExample: 'web/events.csv',
      columns: [
        column('anonymous_id', id, true, 'the browser or device'),
        column('customer_id', id, false, 'empty until the visitor signs in'),
        column('event', idType(100), true, 'page_viewed, product_viewed, signed_in, order_completed, …'),
        column('item_id', id, false, 'the product, for product events'),
        column('order_id', id, false, 'the order, for order_completed'),
        column('timestamp', timestampType, true, 'ISO 8601 or epoch seconds'),
      ],
      key: ['anonymous_id', 'timestamp', 'event'],
      extraColumns: 'reject',
      output: 'parquet',
      table: 'web_events',
    },
    {
      name: 'web/orders',
      description: 'Web orders: one row per order.',
      landing: /^web\/orders([^/]*\.csv|\/.+\.csv)$/i,
      landingExample: 'web/orders.csv',
      columns: [
        column('order_id', id, true, 'unique per order'),
        column('customer_id', id, true, 'who ordered (orders need a sign-in)'),
        column('item_count', integerType({ min: 0 }), true, 'items in the order'),
        column('amount', decimalType(), true, 'the order amount'),
        column('ordered_at', timestampType, true, 'ISO 8601 or epoch seconds'),
      ],
      key: ['order_id'],
      extraColumns: 'reject',
      output: 'parquet',
      table: 'web_orders',
    },
    {
      name: 'personalize/interactions',
      description: "Personalize item interactions (Personalize's CSV rules; stays CSV for import).",
      landing: /^personalize\/(?:[^/]+\/)?interactions\.csv$/i,
      landingExample: 'personalize/<dataset-group>/interactions.csv',
      columns: [
        column('USER_ID', id, true, 'at most 256 characters'),
        column('ITEM_ID', id, true, 'at most 256 characters'),
        column('TIMESTAMP', epochSecondsType, true, 'epoch seconds (ISO 8601 is converted)'),
        column('EVENT_TYPE', idType(256), false, 'click, watch, purchase, …'),
        column('EVENT_VALUE', decimalType(), false, 'optional numeric value'),
      ],
      key: ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'],
      extraColumns: 'keep',
      output: 'csv',
    },
    {
      name: 'personalize/items',
      description: 'Personalize items: ITEM_ID plus the metadata columns the schema names.',
      landing: /^personalize\/(?:[^/]+\/)?items\.csv$/i,
      landingExample: 'personalize/<dataset-group>/items.csv',
      columns: [
        column('ITEM_ID', id, true, 'at most 256 characters'),
        column('CREATION_TIMESTAMP', epochSecondsType, false, 'epoch seconds (ISO 8601 is converted)'),
      ],
      key: ['ITEM_ID'],
      extraColumns: 'keep',
      output: 'csv',
    },
    {
      name: 'personalize/users',
      description: 'Personalize users: USER_ID plus the metadata columns the schema names.',
      landing: /^personalize\/(?:[^/]+\/)?users\.csv$/i,
      landingExample: 'personalize/<dataset-group>/users.csv',
      columns: [column('USER_ID', id, true, 'at most 256 characters')],
      key: ['USER_ID'],
      extraColumns: 'keep',
      output: 'csv',
    },
    {
      name: 'pinpoint/endpoints',
      description: 'Pinpoint endpoints (or any channel addresses): used for endpoint-ID audiences.',
      landing: /^pinpoint\/endpoints([^/]*\.csv|\/.+\.csv)$/i,
      landingExample: 'pinpoint/endpoints.csv',
      columns: [
        column('User.UserId', id, false, 'the customer, when known'),
        column(
          'ChannelType',
          enumType(['EMAIL', 'SMS', 'VOICE', 'PUSH', 'APNS', 'GCM', 'CUSTOM']),
          true,
          'the channel',
        ),
        column('Address', textType(500), true, 'the email address, E.164 phone or device token'),
        column('Id', id, true, 'the endpoint ID'),
      ],
      key: ['Id'],
      extraColumns: 'reject',
      output: 'parquet',
      table: 'pinpoint_endpoints',
    },
  ];
}

/** The type extra columns get when a dataset keeps them. */
export const EXTRA_COLUMN_TYPE = categoricalType;

/** The dataset a landing key belongs to, or undefined. */
export function datasetForKey(
  key: string,
  definitions: readonly DatasetDefinition[] = datasetDefinitions(),
): DatasetDefinition | undefined {
  return definitions.find((definition) => definition.landing.test(key));
}

/** The Personalize dataset group of a landing key (`personalize/<group>/…`), `default` when the folder is flat. */
export function datasetGroupOf(key: string): string | undefined {
  const match = /^personalize\/(?:([^/]+)\/)?[^/]+\.csv$/i.exec(key);
  if (!match) return undefined;
  return match[1] ?? 'default';
}

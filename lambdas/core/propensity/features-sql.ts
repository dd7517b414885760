import { assertPortable, expandMacros, type SqlDialect, timestampLiteral } from './sql-dialect';

/**
 * The feature and label SQL of the propensity models, written once for Athena and DuckDB (see
 * sql-dialect.ts for the subset). It reads the trusted-zone tables by their Glue names:
 * `crm_customers`, `web_orders`, `store_sales`, `web_events` and `identity_map`.
 *
 * - A purchase is a web order or a store sale. Store receipts carry no customer_id: they join
 *   through `identity_map` (source 'store', source_id = receipt_id). Web orders and signed-in web
 *   events join through the CRM rows of the map; anonymous web events through the device rows
 *   (source 'web', source_id = anonymous_id). So a person with two CRM records is one profile, and
 *   every CRM record of that profile gets the profile's features.
 * - Features at a cutoff use only rows with a timestamp at or before it. Labels count the purchases
 *   in (cutoff, cutoff + window days]; the caller only trains on cutoffs whose window it has seen.
 * - Re-delivered files repeat rows under another ingest_date: rows are de-duplicated (DISTINCT
 *   over the columns used, without the partition column).
 */

/** Purchase windows (days before the cutoff) of the RFM features. */
export const RFM_WINDOWS = [30, 90, 365] as const;
const CHANNELS = [
  { suffix: '', condition: '' },
  { suffix: '_web', condition: ' AND web = 1' },
  { suffix: '_store', condition: ' AND web = 0' },
] as const;

/** The model features, in the column order the query returns them. */
export const FEATURE_NAMES: readonly string[] = [
  'tenure_days',
  ...CHANNELS.map((c) => `recency_days${c.suffix}`),
  ...RFM_WINDOWS.flatMap((w) => CHANNELS.map((c) => `frequency_${w}d${c.suffix}`)),
  ...RFM_WINDOWS.flatMap((w) => CHANNELS.map((c) => `monetary_${w}d${c.suffix}`)),
  'online_share_365d',
  'average_order_value_365d',
  'trend_90d',
  'purchases_ever',
  'days_since_visit',
  'visits_30d',
  'visits_90d',
];

export interface Cutoff {
  /** Features see rows at or before this instant. */
  readonly at: Date;
  /**
   * Score every CRM customer (the as-of date), or only those created by the cutoff (training:
   * a customer who did not exist yet is no example).
   */
  readonly everyone: boolean;
}

export interface FeaturesQueryOptions {
  readonly cutoffs: readonly Cutoff[];
  /** Label window of the churn model, days after the cutoff (no purchase in it = churned). */
  readonly churnDays: number;
  /** Label window of the repurchase model, days after the cutoff (a purchase in it = repurchased). */
  readonly repurchaseDays: number;
}

/** Columns of every row besides the features. */
export const ID_COLUMNS = ['customer_id', 'profile_id', 'cutoff_index'] as const;
export const LABEL_COLUMNS = ['purchases_in_churn_window', 'purchases_in_repurchase_window'] as const;

const days = (n: number): string => {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`a window must be a whole number of days (got ${n})`);
  return `INTERVAL '${n}' DAY`;
};

const ageDays = (cutoff: string, ts: string) =>
  `({{epoch_seconds(${cutoff})}} - {{epoch_seconds(${ts})}}) / 86400.0`;

/**
 * One row per (CRM customer, cutoff): ID_COLUMNS, FEATURE_NAMES, LABEL_COLUMNS, in that order.
 * NULL means "never" (no purchase, no visit), which both XGBoost and the local learner read as missing.
 */
export function featuresQuery(options: FeaturesQueryOptions, dialect: SqlDialect): string {
  if (options.cutoffs.length === 0) throw new Error('the features query needs at least one cutoff');
  const horizon = Math.max(options.churnDays, options.repurchaseDays);
  const values = options.cutoffs
    .map((c, i) => `(${i}, ${timestampLiteral(c.at)}, ${c.everyone ? 1 : 0})`)
    .join(',\n    ');

  const rfm = [
    ...CHANNELS.map(
      (c) => `MIN(CASE WHEN age_days >= 0${c.condition} THEN age_days END) AS recency_days${c.suffix}`,
    ),
    ...[...RFM_WINDOWS, 'prev_90' as const].flatMap((w) =>
      CHANNELS.flatMap((c) => {
        const range =
          w === 'prev_90' ? 'age_days >= 90 AND age_days < 180' : `age_days >= 0 AND age_days < ${w}`;
        const name = w === 'prev_90' ? 'prev_90d' : `${w}d`;
        return [
          `SUM(CASE WHEN ${range}${c.condition} THEN 1 ELSE 0 END) AS frequency_${name}${c.suffix}`,
          `SUM(CASE WHEN ${range}${c.condition} THEN amount ELSE 0 END) AS monetary_${name}${c.suffix}`,
        ];
      }),
    ),
    `SUM(CASE WHEN age_days >= 0 THEN 1 ELSE 0 END) AS purchases_ever`,
    `SUM(CASE WHEN age_days < 0 AND ts <= cutoff + ${days(options.churnDays)} THEN 1 ELSE 0 END) AS purchases_in_churn_window`,
    `SUM(CASE WHEN age_days < 0 AND ts <= cutoff + ${days(options.repurchaseDays)} THEN 1 ELSE 0 END) AS purchases_in_repurchase_window`,
  ];

  const coalesced = (name: string) => `COALESCE(pf.${name}, 0) AS ${name}`;
  const select = [
    'cp.crm_id AS customer_id',
    'cp.profile_id',
    'c.cutoff_index',
    `${ageDays('c.cutoff', 'p.created_at')} AS tenure_days`,
    ...CHANNELS.map((c) => `pf.recency_days${c.suffix}`),
    ...RFM_WINDOWS.flatMap((w) => CHANNELS.map((c) => coalesced(`frequency_${w}d${c.suffix}`))),
    ...RFM_WINDOWS.flatMap((w) => CHANNELS.map((c) => coalesced(`monetary_${w}d${c.suffix}`))),
    'CASE WHEN pf.frequency_365d > 0 THEN CAST(pf.frequency_365d_web AS DOUBLE) / pf.frequency_365d END AS online_share_365d',
    'CASE WHEN pf.frequency_365d > 0 THEN CAST(pf.monetary_365d AS DOUBLE) / pf.frequency_365d END AS average_order_value_365d',
    'COALESCE(pf.frequency_90d, 0) - COALESCE(pf.frequency_prev_90d, 0) AS trend_90d',
    coalesced('purchases_ever'),
    'vf.days_since_visit',
    'COALESCE(vf.visits_30d, 0) AS visits_30d',
    'COALESCE(vf.visits_90d, 0) AS visits_90d',
    ...LABEL_COLUMNS.map(coalesced),
  ];

  const sql = `WITH cutoffs AS (
  SELECT * FROM (VALUES
    ${values}
  ) AS t(cutoff_index, cutoff, everyone)
),
crm AS (
  SELECT customer_id AS crm_id, MIN(created_at) AS created_at
  FROM crm_customers
  GROUP BY customer_id
),
crm_profiles AS (
  SELECT c.crm_id, COALESCE(m.customer_id, c.crm_id) AS profile_id, c.created_at
  FROM crm c
  LEFT JOIN identity_map m ON m.source = 'crm' AND m.source_id = c.crm_id
),
profiles AS (
  SELECT profile_id, MIN(created_at) AS created_at
  FROM crm_profiles
  GROUP BY profile_id
),
purchases AS (
  SELECT COALESCE(m.customer_id, o.customer_id) AS profile_id, 1 AS web, o.amount, o.ordered_at AS ts
  FROM (SELECT DISTINCT order_id, customer_id, amount, ordered_at FROM web_orders) o
  LEFT JOIN identity_map m ON m.source = 'crm' AND m.source_id = o.customer_id
  UNION ALL
  SELECT m.customer_id AS profile_id, 0 AS web, s.amount, s.sold_at AS ts
  FROM (SELECT DISTINCT receipt_id, amount, sold_at FROM store_sales) s
  JOIN identity_map m ON m.source = 'store' AND m.source_id = s.receipt_id
),
purchase_ages AS (
  SELECT p.profile_id, c.cutoff_index, c.cutoff, p.web, p.amount, p.ts, ${ageDays('c.cutoff', 'p.ts')} AS age_days
  FROM purchases p
  JOIN cutoffs c ON p.ts <= c.cutoff + ${days(horizon)}
),
purchase_features AS (
  SELECT profile_id, cutoff_index,
    ${rfm.join(',\n    ')}
  FROM purchase_ages
  GROUP BY profile_id, cutoff_index
),
visits AS (
  SELECT DISTINCT COALESCE(mc.customer_id, mw.customer_id) AS profile_id, e.anonymous_id, e."timestamp" AS ts
  FROM web_events e
  LEFT JOIN identity_map mc ON mc.source = 'crm' AND mc.source_id = e.customer_id
  LEFT JOIN identity_map mw ON mw.source = 'web' AND mw.source_id = e.anonymous_id
  WHERE e.event = 'page_viewed'
),
visit_ages AS (
  SELECT v.profile_id, c.cutoff_index, ${ageDays('c.cutoff', 'v.ts')} AS age_days
  FROM visits v
  JOIN cutoffs c ON v.ts <= c.cutoff
  WHERE v.profile_id IS NOT NULL
),
visit_features AS (
  SELECT profile_id, cutoff_index,
    MIN(age_days) AS days_since_visit,
    SUM(CASE WHEN age_days < 30 THEN 1 ELSE 0 END) AS visits_30d,
    SUM(CASE WHEN age_days < 90 THEN 1 ELSE 0 END) AS visits_90d
  FROM visit_ages
  GROUP BY profile_id, cutoff_index
)
SELECT
  ${select.join(',\n  ')}
FROM crm_profiles cp
JOIN profiles p ON p.profile_id = cp.profile_id
CROSS JOIN cutoffs c
LEFT JOIN purchase_features pf ON pf.profile_id = cp.profile_id AND pf.cutoff_index = c.cutoff_index
LEFT JOIN visit_features vf ON vf.profile_id = cp.profile_id AND vf.cutoff_index = c.cutoff_index
WHERE c.everyone = 1 OR p.created_at <= c.cutoff
ORDER BY c.cutoff_index, cp.crm_id
`;
  const expanded = expandMacros(sql, dialect);
  assertPortable(expanded);
  return expanded;
}

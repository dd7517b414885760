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
  { suffix: '', web: undefined },
  { suffix: '_web', web: 1 },
  { suffix: '_store', web: 0 },
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
  /**
   * Share of profiles (0 < share ≤ 1, default 1) whose rows at the training cutoffs (`everyone`
   * false) are computed, chosen by `{{profile_bucket(profile_id)}}`, so a profile is in or out at
   * every cutoff; rows at `everyone` cutoffs are always all there. On big data the local trainer
   * reads only a sample: filtering inside the query spares the purchases × cutoffs rows of the
   * profiles it would drop.
   */
  readonly trainingShare?: number;
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

  // Per (profile, cutoff, channel) first: 13 sums over the purchases × cutoffs rows instead of 31.
  const byChannel = [
    'MIN(CASE WHEN age_days >= 0 THEN age_days END) AS recency_days',
    ...[...RFM_WINDOWS, 'prev_90' as const].flatMap((w) => {
      const range =
        w === 'prev_90' ? 'age_days >= 90 AND age_days < 180' : `age_days >= 0 AND age_days < ${w}`;
      const name = w === 'prev_90' ? 'prev_90d' : `${w}d`;
      return [
        `SUM(CASE WHEN ${range} THEN 1 ELSE 0 END) AS frequency_${name}`,
        `SUM(CASE WHEN ${range} THEN amount ELSE 0 END) AS monetary_${name}`,
      ];
    }),
    `SUM(CASE WHEN age_days >= 0 THEN 1 ELSE 0 END) AS purchases_ever`,
    `SUM(CASE WHEN age_days < 0 AND ts <= cutoff + ${days(options.churnDays)} THEN 1 ELSE 0 END) AS purchases_in_churn_window`,
    `SUM(CASE WHEN age_days < 0 AND ts <= cutoff + ${days(options.repurchaseDays)} THEN 1 ELSE 0 END) AS purchases_in_repurchase_window`,
  ];
  // Then per (profile, cutoff), over its one or two channel rows.
  const inChannel = (web: 0 | 1 | undefined, column: string, otherwise: string) =>
    web === undefined ? column : `CASE WHEN web = ${web} THEN ${column}${otherwise} END`;
  const rfm = [
    ...CHANNELS.map((c) => `MIN(${inChannel(c.web, 'recency_days', '')}) AS recency_days${c.suffix}`),
    ...[...RFM_WINDOWS.map((w) => `${w}d`), 'prev_90d'].flatMap((name) =>
      CHANNELS.flatMap((c) =>
        ['frequency', 'monetary'].map(
          (measure) =>
            `SUM(${inChannel(c.web, `${measure}_${name}`, ' ELSE 0')}) AS ${measure}_${name}${c.suffix}`,
        ),
      ),
    ),
    ...['purchases_ever', ...LABEL_COLUMNS].map((name) => `SUM(${name}) AS ${name}`),
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

  const share = options.trainingShare ?? 1;
  if (!(share > 0 && share <= 1)) throw new Error(`training share ${share} is not in (0, 1]`);
  const sampled =
    share >= 1
      ? '1'
      : `CASE WHEN {{profile_bucket(profile_id)}} < ${Math.ceil(share * 1_000_000)} THEN 1 ELSE 0 END`;

  // Purchases and visits meet the cutoffs in two joins: every profile at the `everyone` cutoffs,
  // the sampled profiles at the others, so no row is computed to be dropped later.
  const atCutoffs = (rows: string, condition: string, columns: string) => `SELECT ${columns}
  FROM ${rows} x
  JOIN cutoffs c ON ${condition} AND c.everyone = 1
  UNION ALL
  SELECT ${columns}
  FROM ${rows} x
  JOIN cutoffs c ON ${condition} AND c.everyone = 0
  WHERE x.sampled = 1`;

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
  SELECT profile_id, MIN(created_at) AS created_at, ${sampled} AS sampled
  FROM crm_profiles
  GROUP BY profile_id
),
purchases AS (
  SELECT p.profile_id, p.sampled, b.web, b.amount, b.ts
  FROM (
    SELECT COALESCE(m.customer_id, o.customer_id) AS profile_id, 1 AS web, o.amount, o.ordered_at AS ts
    FROM (SELECT DISTINCT order_id, customer_id, amount, ordered_at FROM web_orders) o
    LEFT JOIN identity_map m ON m.source = 'crm' AND m.source_id = o.customer_id
    UNION ALL
    SELECT m.customer_id AS profile_id, 0 AS web, s.amount, s.sold_at AS ts
    FROM (SELECT DISTINCT receipt_id, amount, sold_at FROM store_sales) s
    JOIN identity_map m ON m.source = 'store' AND m.source_id = s.receipt_id
  ) b
  JOIN profiles p ON p.profile_id = b.profile_id
),
purchase_ages AS (
  ${atCutoffs('purchases', `x.ts <= c.cutoff + ${days(horizon)}`, `x.profile_id, c.cutoff_index, c.cutoff, x.web, x.amount, x.ts, ${ageDays('c.cutoff', 'x.ts')} AS age_days`)}
),
channel_features AS (
  SELECT profile_id, cutoff_index, web,
    ${byChannel.join(',\n    ')}
  FROM purchase_ages
  GROUP BY profile_id, cutoff_index, web
),
purchase_features AS (
  SELECT profile_id, cutoff_index,
    ${rfm.join(',\n    ')}
  FROM channel_features
  GROUP BY profile_id, cutoff_index
),
visits AS (
  SELECT p.profile_id, p.sampled, v.ts
  FROM (
    SELECT DISTINCT COALESCE(mc.customer_id, mw.customer_id) AS profile_id, e.anonymous_id, e."timestamp" AS ts
    FROM web_events e
    LEFT JOIN identity_map mc ON mc.source = 'crm' AND mc.source_id = e.customer_id
    LEFT JOIN identity_map mw ON mw.source = 'web' AND mw.source_id = e.anonymous_id
    WHERE e.event = 'page_viewed'
  ) v
  JOIN profiles p ON p.profile_id = v.profile_id
),
visit_ages AS (
  ${atCutoffs('visits', 'x.ts <= c.cutoff', `x.profile_id, c.cutoff_index, ${ageDays('c.cutoff', 'x.ts')} AS age_days`)}
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
WHERE c.everyone = 1 OR (p.created_at <= c.cutoff AND p.sampled = 1)
ORDER BY c.cutoff_index, cp.crm_id
`;
  const expanded = expandMacros(sql, dialect);
  assertPortable(expanded);
  return expanded;
}

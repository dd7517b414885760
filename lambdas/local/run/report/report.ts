import { parse } from 'csv-parse/sync';
import { MERGE_RULES } from '../../../core/identity/resolve';
import { readObject } from '../../../core/ports/object-store';
import type { IngestRun } from '../../commands/ingest';
import type { RunContext, StageReport } from '../run-context';
import type { JobAudiences } from '../stages/activate';
import type { ScoreRunResult } from '../stages/score';
import { barChartSvg, escapeHtml } from './charts';

/** Quarantined rows shown per file; the report files hold every one. */
const SAMPLE_ROWS = 5;

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:880px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border-bottom:1px solid #eee;padding:.25rem .5rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{background:#f4f4f4;padding:0 .2rem}
figure{margin:1rem 0}.muted{color:#666}`;

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (value: string | number, tag: 'td' | 'th') =>
    typeof value === 'number'
      ? `<${tag} class="n">${value.toLocaleString('en-US')}</${tag}>`
      : `<${tag}>${escapeHtml(value)}</${tag}>`;
  return `<table><thead><tr>${header.map((h) => cell(h, 'th')).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((v) => cell(v, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

async function quarantineSample(context: RunContext, key: string): Promise<string[][]> {
  const rows = parse(await readObject(context.zones, key), { relax_column_count: true }) as string[][];
  return rows.slice(1, 1 + SAMPLE_ROWS);
}

/**
 * Stage 9: `report.html`, one self-contained page (inline CSS, charts as static SVG, no script,
 * no network) of what the run did: data quality, identity, audiences, and where they went.
 */
export async function reportStage(context: RunContext): Promise<StageReport> {
  const sections: string[] = [];
  let charts = 0;
  const chart = (svg: string) => {
    charts++;
    return `<figure>${svg}</figure>`;
  };

  const ingest = context.facts.get('ingest') as IngestRun | undefined;
  if (ingest) {
    const files = ingest.outcomes.filter((o) => o.status !== 'already-ingested');
    const rows = files.map((o) => [o.key, o.rowsIn, o.good, o.bad, o.duplicates, o.status]);
    let samples = '';
    for (const o of files) {
      if (!o.report) continue;
      const sample = await quarantineSample(context, o.report);
      samples += `<h3>${escapeHtml(o.key)}: quarantined rows (first ${sample.length} of ${o.bad.toLocaleString('en-US')})</h3>${table(['file', 'line', 'column', 'value', 'reason'], sample)}<p class="muted">Every row: <code>${escapeHtml(o.report)}</code></p>`;
    }
    sections.push(
      `<h2>Data quality</h2>${table(['file', 'rows in', 'good', 'bad', 'duplicates', 'result'], rows)}` +
        chart(
          barChartSvg({
            id: 'data-quality',
            title: 'Rows per file',
            categories: files.map((o) => o.key),
            series: [
              { name: 'good', values: files.map((o) => o.good) },
              { name: 'quarantined', values: files.map((o) => o.bad) },
              { name: 'duplicates', values: files.map((o) => o.duplicates) },
            ],
            stacked: true,
            horizontal: true,
          }),
        ) +
        samples,
    );
    const identity = ingest.identity;
    if (identity) {
      sections.push(
        `<h2>Identity</h2>${table(
          ['records in', 'CRM', 'store receipts', 'web devices', 'profiles out', 'pairs for review'],
          [
            [
              identity.records,
              identity.bySource.crm,
              identity.bySource.store,
              identity.bySource.web,
              identity.profiles,
              identity.reviewPairs,
            ],
          ],
        )}` +
          chart(
            barChartSvg({
              id: 'identity-merges',
              title: 'Merges by rule',
              categories: [...MERGE_RULES],
              series: [{ name: 'merges', values: MERGE_RULES.map((rule) => identity.merges[rule]) }],
            }),
          ) +
          `<p class="muted">Pairs for a person to decide: <code>${escapeHtml(identity.outputs.review)}</code></p>`,
      );
    }
  }

  const jobs = (context.facts.get('audiences') as JobAudiences[] | undefined) ?? [];
  for (const job of jobs) {
    const audiences = job.result.audiences;
    sections.push(
      `<h2>Audiences of job ${escapeHtml(job.jobName)}</h2>${table(
        ['audience', 'query', 'targeted', 'hold-out', 'import file'],
        audiences.map((a) => [a.name, a.query, a.size, a.holdoutSize, a.importKey]),
      )}` +
        chart(
          barChartSvg({
            id: `segment-sizes-${job.jobName}`,
            title: `Segment sizes: ${job.jobName}`,
            categories: audiences.map((a) => a.query),
            series: [
              { name: 'targeted', values: audiences.map((a) => a.size) },
              { name: 'hold-out', values: audiences.map((a) => a.holdoutSize) },
            ],
            stacked: true,
            horizontal: true,
          }),
        ),
    );
  }

  const scores = context.facts.get('scores') as ScoreRunResult | undefined;
  if (scores) {
    let html = `<h2>Propensity scores (run ${escapeHtml(scores.run)}, as of ${escapeHtml(scores.asOf.toISOString().slice(0, 10))})</h2>`;
    html += table(
      ['model', 'validation AUC', 'validation customers', 'training examples', 'positives'],
      scores.reports.map((r) => [
        r.model,
        Number.isNaN(r.auc) ? 'n/a' : r.auc.toFixed(3),
        r.validationCustomers,
        r.trainingExamples,
        `${(100 * r.positiveRate).toFixed(1)} %`,
      ]),
    );
    for (const model of scores.reports) {
      const distribution = await scoreDistribution(context, `scores/${scores.run}/${model.model}.csv`);
      html +=
        chart(
          barChartSvg({
            id: `score-distribution-${model.model}`,
            title: `${model.model}: customers by score`,
            categories: distribution.map((_, i) => `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`),
            series: [{ name: 'customers', values: distribution }],
          }),
        ) +
        chart(
          barChartSvg({
            id: `calibration-${model.model}`,
            title: `${model.model}: calibration and lift by decile (validation customers, highest scores first)`,
            categories: model.calibration.map((d) => `decile ${d.decile}`),
            series: [
              { name: 'mean score', values: model.calibration.map((d) => round(d.meanScore)) },
              { name: 'observed rate', values: model.calibration.map((d) => round(d.observedRate)) },
              { name: 'lift', values: model.decileLift.map((d) => round(d.lift)) },
            ],
          }),
        ) +
        chart(
          barChartSvg({
            id: `importance-${model.model}`,
            title: `${model.model}: feature importance (share of split gain)`,
            categories: model.featureImportance.slice(0, 10).map((f) => f.feature),
            series: [
              {
                name: 'gain share',
                values: model.featureImportance.slice(0, 10).map((f) => round(f.gainShare)),
              },
            ],
            horizontal: true,
          }),
        );
    }
    sections.push(html);
  }

  const outbox = (context.facts.get('outbox') as string[] | undefined) ?? [];
  const delivered: (readonly (string | number)[])[] = jobs.flatMap((job) =>
    job.result.audiences.map((a) => [a.name, 's3 (Pinpoint import CSV)', a.importKey, a.size] as const),
  );
  if (scores) {
    for (const a of scores.winback.audiences) {
      delivered.push([
        a.name,
        's3 (Pinpoint import CSV)',
        `audiences/propensity-${scores.run}/${a.files.import}`,
        a.size,
      ]);
    }
  }
  const sync = context.facts.get('sync') as { sent: number; requests: number } | undefined;
  if (sync)
    delivered.push(['churn and repurchase traits', 'Segment (local endpoint)', '/v1/batch', sync.sent]);
  sections.push(
    `<h2>Delivered</h2>${table(['audience', 'destination', 'where', 'users'], delivered)}` +
      `<h3>Emails (outbox/)</h3><ul>${outbox.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`,
  );

  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>cdp-audiences run ${escapeHtml(context.run)}</title><style>${STYLE}</style></head><body>
<h1>cdp-audiences run ${escapeHtml(context.run)}</h1>
<p class="muted">Input <code>${escapeHtml(context.folder)}</code>, made ${escapeHtml(context.now().toISOString())}. Every figure comes from this run's files.</p>
${sections.join('\n')}
</body></html>
`;
  await context.zones.put('report.html', html);
  return { summary: `report.html with ${charts} chart(s)`, counts: { charts } };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Customers per score band of width 0.1, from a `customer_id,score` file. */
async function scoreDistribution(context: RunContext, key: string): Promise<number[]> {
  const bands = new Array<number>(10).fill(0);
  for (const [, score] of parse(await readObject(context.zones, key), { from_line: 2 }) as string[][]) {
    bands[Math.min(9, Math.floor(Number(score) * 10))]!++;
  }
  return bands;
}

import type { ObjectStore } from '../ports/object-store';
import { areaOf } from './candidates';
import type { FoundRecord } from './object-formats';
import type { SubjectIdentifiers } from './resolve-subject';
import type { Subject } from './subject';

/** Where access exports go (the trusted store); delivered by a short-lived pre-signed URL, never attached. */
export const EXPORTS_PREFIX = 'privacy/exports/';

export interface ExportFinding extends FoundRecord {
  readonly zone: string;
  readonly key: string;
  readonly lastModified: Date;
}

export interface AccessExport {
  readonly requestId: string;
  readonly generatedAt: string;
  readonly subject: Subject;
  readonly identifiers: {
    readonly customerIds: string[];
    readonly receiptIds: string[];
    readonly anonymousIds: string[];
    readonly emails: string[];
    readonly phones: string[];
    /** Personalize's USER_ID is the customer ID. */
    readonly personalizeUserIds: string[];
  };
  /** Every record held, per dataset (the part of the lake) and object. */
  readonly datasets: {
    readonly dataset: string;
    readonly zone: string;
    readonly key: string;
    readonly records: unknown[];
  }[];
  readonly audiences: {
    readonly job: string;
    readonly audience: string;
    readonly holdout: boolean;
    readonly key: string;
  }[];
  readonly scores: {
    readonly run: string;
    readonly model: string;
    readonly score: string;
    readonly key: string;
  }[];
  /** Audiences delivered to a destination (the hold-out is not delivered), with when the file was written. */
  readonly destinations: {
    readonly destination: string;
    readonly job: string;
    readonly audience: string;
    readonly deliveredAt: string;
  }[];
}

export function buildExport(
  requestId: string,
  subject: Subject,
  ids: SubjectIdentifiers,
  findings: readonly ExportFinding[],
  now: Date,
): AccessExport {
  const datasets = new Map<string, AccessExport['datasets'][number]>();
  const audiences: AccessExport['audiences'][number][] = [];
  const scores: AccessExport['scores'][number][] = [];
  const destinations: AccessExport['destinations'][number][] = [];
  for (const finding of findings) {
    const audience = /^audiences\/([^/]+)\/([^/]+?)(\.holdout)?\.csv$/.exec(finding.key);
    if (audience) {
      const [, job, name, holdout] = audience;
      audiences.push({ job: job!, audience: name!, holdout: holdout !== undefined, key: finding.key });
      if (!holdout) {
        destinations.push({
          destination: 's3 audience files',
          job: job!,
          audience: name!,
          deliveredAt: finding.lastModified.toISOString(),
        });
      }
      continue;
    }
    const score = /^scores\/([^/]+)\/([^/]+)\.csv$/.exec(finding.key);
    if (score && typeof finding.record === 'object' && finding.record !== null) {
      const row = finding.record as Record<string, string>;
      scores.push({ run: score[1]!, model: score[2]!, score: row['score'] ?? '', key: finding.key });
      continue;
    }
    const id = `${finding.zone}\u0000${finding.key}`;
    let entry = datasets.get(id);
    if (!entry) {
      entry = { dataset: areaOf(finding.key), zone: finding.zone, key: finding.key, records: [] };
      datasets.set(id, entry);
    }
    entry.records.push(finding.record);
  }
  const sorted = (set: ReadonlySet<string>) => [...set].sort();
  return {
    requestId,
    generatedAt: now.toISOString(),
    subject,
    identifiers: {
      customerIds: sorted(ids.customerIds),
      receiptIds: sorted(ids.receiptIds),
      anonymousIds: sorted(ids.anonymousIds),
      emails: sorted(ids.emails),
      phones: sorted(ids.phones),
      personalizeUserIds: sorted(ids.customerIds),
    },
    datasets: [...datasets.values()],
    audiences,
    scores,
    destinations,
  };
}

/** Writes `export.json` and a readable `export.md` under `privacy/exports/<request>/`. */
export async function writeExport(
  store: ObjectStore,
  document: AccessExport,
): Promise<{ json: string; markdown: string }> {
  const prefix = `${EXPORTS_PREFIX}${document.requestId}/`;
  const json = `${prefix}export.json`;
  const markdown = `${prefix}export.md`;
  await store.put(json, JSON.stringify(document, null, 2) + '\n', { contentType: 'application/json' });
  await store.put(markdown, exportMarkdown(document), { contentType: 'text/markdown; charset=utf-8' });
  return { json, markdown };
}

const cell = (value: unknown) =>
  (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');

function table(rows: readonly unknown[]): string[] {
  const objects = rows.filter(
    (r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r),
  );
  if (objects.length !== rows.length) return rows.map((r) => `- ${cell(r)}`);
  const columns = [...new Set(objects.flatMap((r) => Object.keys(r)))];
  return [
    `| ${columns.map(cell).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...objects.map((r) => `| ${columns.map((c) => cell(r[c] ?? '')).join(' | ')} |`),
  ];
}

export function exportMarkdown(document: AccessExport): string {
  const ids = document.identifiers;
  const lines = [
    `# The data we hold about you`,
    '',
    `Request ${document.requestId}, generated ${document.generatedAt}.`,
    '',
    '## Your identifiers',
    '',
    `- Customer IDs (also the Personalize user ID): ${ids.customerIds.join(', ') || 'none'}`,
    `- Store receipts: ${ids.receiptIds.join(', ') || 'none'}`,
    `- Web devices (anonymous IDs): ${ids.anonymousIds.join(', ') || 'none'}`,
    `- Emails: ${ids.emails.join(', ') || 'none'}`,
    `- Phones: ${ids.phones.join(', ') || 'none'}`,
    '',
    '## Records, per dataset',
    '',
  ];
  if (document.datasets.length === 0) lines.push('None.', '');
  for (const dataset of document.datasets) {
    lines.push(`### ${dataset.dataset} (${dataset.zone}: ${dataset.key})`, '', ...table(dataset.records), '');
  }
  lines.push('## Audiences', '');
  lines.push(
    ...(document.audiences.length
      ? table(
          document.audiences.map(({ job, audience, holdout }) => ({
            job,
            audience,
            'hold-out': holdout ? 'yes' : 'no',
          })),
        )
      : ['None.']),
    '',
  );
  lines.push('## Scores', '');
  lines.push(
    ...(document.scores.length
      ? table(document.scores.map(({ run, model, score }) => ({ run, model, score })))
      : ['None.']),
    '',
  );
  lines.push('## Destinations that received you', '');
  lines.push(...(document.destinations.length ? table(document.destinations) : ['None.']), '');
  return lines.join('\n');
}

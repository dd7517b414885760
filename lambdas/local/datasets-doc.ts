import { datasetDefinitions } from '../core/ingest/datasets';

/** The README's table of datasets, written from the definitions so the two cannot drift apart. */
export function datasetsMarkdown(): string {
  const lines: string[] = [];
  for (const dataset of datasetDefinitions()) {
    const output =
      dataset.output === 'parquet'
        ? `Parquet, Glue table \`${dataset.table}\``
        : 'CSV (Personalize imports CSV)';
    const extras =
      dataset.extraColumns === 'keep' ? ' Other columns are kept as metadata (categorical text).' : '';
    lines.push(`#### \`${dataset.name}\`: \`${dataset.landingExample}\``, '');
    lines.push(`${dataset.description} Key: ${dataset.key.join(', ')}. Output: ${output}.${extras}`, '');
    lines.push('| column | type | required | normalised |', '| --- | --- | --- | --- |');
    for (const column of dataset.columns) {
      lines.push(
        `| \`${column.name}\` | ${column.type.name} | ${column.required ? 'yes' : 'no'} | ${column.description} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

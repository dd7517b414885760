import type { FieldType, SchemaField } from './training-config';

/**
 * What Personalize requires of the schemas in a Domain dataset group. A domain group still takes
 * custom solutions (the USER_SEGMENTATION recipes here): "You can still add custom resources, such
 * as solutions and solution versions trained for custom use cases"
 * (https://docs.aws.amazon.com/personalize/latest/dg/data-prep-ds-group.html). Required fields per
 * https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-datasets-and-schemas.html and
 * https://docs.aws.amazon.com/personalize/latest/dg/VIDEO-ON-DEMAND-datasets-and-schemas.html.
 */
export const DOMAINS = ['ECOMMERCE', 'VIDEO_ON_DEMAND'] as const;
export type Domain = (typeof DOMAINS)[number];

interface RequiredField {
  readonly name: string;
  readonly type: FieldType;
  readonly categorical?: true;
}

const INTERACTIONS: readonly RequiredField[] = [
  { name: 'USER_ID', type: 'string' },
  { name: 'ITEM_ID', type: 'string' },
  { name: 'TIMESTAMP', type: 'long' },
  { name: 'EVENT_TYPE', type: 'string' },
];

export const DOMAIN_REQUIRED_FIELDS: Record<
  Domain,
  Record<'interactions' | 'items' | 'users', readonly RequiredField[]>
> = {
  ECOMMERCE: {
    interactions: INTERACTIONS,
    items: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'PRICE', type: 'float' },
      { name: 'CATEGORY_L1', type: 'string', categorical: true },
      { name: 'CREATION_TIMESTAMP', type: 'long' },
    ],
    users: [{ name: 'USER_ID', type: 'string' }],
  },
  VIDEO_ON_DEMAND: {
    interactions: INTERACTIONS,
    items: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRES', type: 'string', categorical: true },
      { name: 'CREATION_TIMESTAMP', type: 'long' },
    ],
    users: [{ name: 'USER_ID', type: 'string' }],
  },
};

export interface DomainIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Every way the schemas miss what the domain requires, each with its path in training.json and the fix. */
export function domainSchemaIssues(
  domain: Domain,
  schemas: Record<'interactions' | 'items' | 'users', { fields: readonly SchemaField[] }>,
): DomainIssue[] {
  const issues: DomainIssue[] = [];
  for (const dataset of ['interactions', 'items', 'users'] as const) {
    const fields = schemas[dataset].fields;
    for (const required of DOMAIN_REQUIRED_FIELDS[domain][dataset]) {
      const index = fields.findIndex((field) => field.name.toUpperCase() === required.name);
      const wanted = `{"name": "${required.name}", "type": "${required.type}"${required.categorical ? ', "categorical": true' : ''}}`;
      if (index < 0) {
        issues.push({
          path: ['schemas', dataset, 'fields'],
          message: `the ${domain} domain needs a ${required.name} field in the ${dataset} schema; add ${wanted}, or leave datasetGroup.domain out for a custom dataset group`,
        });
        continue;
      }
      const field = fields[index]!;
      if (field.type !== required.type || Boolean(field.categorical) !== Boolean(required.categorical)) {
        issues.push({
          path: ['schemas', dataset, 'fields', index],
          message: `the ${domain} domain takes ${required.name} as ${wanted}; change the field to that, or leave datasetGroup.domain out`,
        });
      }
    }
    // A domain users dataset needs one metadata field beside USER_ID (categorical string or numeric).
    if (
      dataset === 'users' &&
      !fields.some(
        (field) => field.name.toUpperCase() !== 'USER_ID' && (field.type !== 'string' || field.categorical),
      )
    ) {
      issues.push({
        path: ['schemas', 'users', 'fields'],
        message: `the ${domain} domain needs a metadata field in the users schema besides USER_ID (a categorical string or a number), e.g. {"name": "AGE", "type": "int"}`,
      });
    }
  }
  return issues;
}

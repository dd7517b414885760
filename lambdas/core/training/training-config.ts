import { z } from 'zod';
import { UserFacingError } from '../errors';
import { DOMAINS, domainSchemaIssues } from './domain-rules';
import { fromRetiredSolutionLayout, isRetiredSolutionLayout } from './retired-solution-layout';

/**
 * `training.json`: what the training workflow builds in Amazon Personalize, and the batch segment
 * jobs it runs. Uploaded last to `personalize/<dataset-group>/` in the landing bucket; its Object
 * Created event starts the run. Every bad field is reported with its path and the fix.
 */

/** Personalize resource names: 1–63 characters, a letter or digit first, then letters, digits, - and _. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

/**
 * A name that still fits Personalize's 63 characters once the workflow appends its suffixes
 * (`-interactions-<8 hex>` for schemas, `-<part>-<run>` for split jobs).
 */
const resourceName = (what: string, max: number) =>
  z
    .string({ error: `must be the ${what} as text, e.g. "cdp-sample"` })
    .max(
      max,
      `is longer than ${max} characters; shorten it (the workflow adds suffixes up to Personalize's 63)`,
    )
    .regex(NAME, 'may hold only letters, digits, - and _, and must start with a letter or digit');

export const FIELD_TYPES = ['string', 'int', 'long', 'float', 'double', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const fieldSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'must be the column name as text, e.g. "GENRES"' })
        .regex(
          /^[A-Za-z_][A-Za-z0-9_]*$/,
          'must be a column name: letters, digits and _ , not starting with a digit',
        ),
      type: z.enum(FIELD_TYPES, {
        error: `must be one of ${FIELD_TYPES.join(', ')} (Avro types Personalize takes)`,
      }),
      /** Pipe-separated values (`Action|Comedy`); string fields only. */
      categorical: z.boolean({ error: 'must be true or false' }).optional(),
      /** Unstructured text (descriptions); Personalize cannot query it. */
      textual: z.boolean({ error: 'must be true or false' }).optional(),
      /** The column may be empty. */
      nullable: z.boolean({ error: 'must be true or false' }).optional(),
    },
    { error: (issue) => unknownKey(issue, 'a field takes name, type, categorical, textual and nullable') },
  )
  .refine((field) => !(field.categorical || field.textual) || field.type === 'string', {
    message: 'only a string field can be categorical or textual; set "type": "string" or remove the flag',
  });

export type SchemaField = z.infer<typeof fieldSchema>;

const fieldsOf = (dataset: string, required: readonly string[]) =>
  z
    .strictObject(
      {
        fields: z
          .array(fieldSchema, { error: 'must be a list of fields' })
          .min(1, 'must list at least one field'),
      },
      { error: (issue) => unknownKey(issue, `a schema takes only "fields"`) },
    )
    .superRefine((schema, context) => {
      const names = schema.fields.map((f) => f.name.toUpperCase());
      for (const name of required) {
        if (!names.includes(name)) {
          context.addIssue({
            code: 'custom',
            path: ['fields'],
            message: `the ${dataset} schema needs a ${name} field; add {"name": "${name}", "type": "${name === 'TIMESTAMP' ? 'long' : 'string'}"}`,
          });
        }
      }
      names.forEach((name, index) => {
        if (names.indexOf(name) !== index) {
          context.addIssue({
            code: 'custom',
            path: ['fields', index, 'name'],
            message: `names the field ${schema.fields[index]!.name} a second time; remove one`,
          });
        }
      });
    });

/** The sample's columns (data/sample/personalize), so a training.json for it can leave the schemas out. */
export const DEFAULT_SCHEMAS: Readonly<
  Record<'interactions' | 'items' | 'users', { fields: SchemaField[] }>
> = {
  interactions: {
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'ITEM_ID', type: 'string' },
      { name: 'TIMESTAMP', type: 'long' },
      { name: 'EVENT_TYPE', type: 'string' },
    ],
  },
  items: {
    fields: [
      { name: 'ITEM_ID', type: 'string' },
      { name: 'GENRES', type: 'string', categorical: true },
      { name: 'PRICE', type: 'float' },
      { name: 'CATEGORY', type: 'string', categorical: true },
      { name: 'CREATION_TIMESTAMP', type: 'long' },
    ],
  },
  users: {
    fields: [
      { name: 'USER_ID', type: 'string' },
      { name: 'AGE', type: 'int' },
      { name: 'GENDER', type: 'string', categorical: true },
    ],
  },
};

const defaultSchema = (dataset: keyof typeof DEFAULT_SCHEMAS) => structuredClone(DEFAULT_SCHEMAS[dataset]);

export const RECIPES = ['aws-item-attribute-affinity', 'aws-item-affinity'] as const;
export type Recipe = (typeof RECIPES)[number];

/** Queries per input file Personalize takes: 10 for item-attribute-affinity, 500 for item-affinity. */
export const MAX_QUERIES_PER_FILE: Record<Recipe, number> = {
  'aws-item-attribute-affinity': 10,
  'aws-item-affinity': 500,
};

/** Personalize's largest user segment: 5 million users per query. */
export const MAX_NUM_RESULTS = 5_000_000;

const querySchema = z.union(
  [
    z.strictObject({
      itemAttributes: z.string().trim().min(1, 'is empty; write e.g. ITEMS.GENRES = \\"Action\\"').max(1000),
    }),
    z.strictObject({
      itemId: z.string().trim().min(1, 'is empty').max(256, 'is longer than 256 characters'),
    }),
  ],
  {
    error:
      'must be {"itemAttributes": "ITEMS.GENRES = \\"Action\\""} (item-attribute-affinity) or {"itemId": "I000042"} (item-affinity)',
  },
);
export type SegmentQuery = z.infer<typeof querySchema>;

const jobSchema = z.strictObject(
  {
    name: resourceName('job name', 40),
    queries: z
      .array(querySchema, { error: 'must be a list of queries' })
      .min(1, 'must hold at least one query'),
    numResults: z
      .int({ error: 'must be a whole number of users per segment, e.g. 500' })
      .min(1, 'must be at least 1')
      .max(
        MAX_NUM_RESULTS,
        `must be at most ${MAX_NUM_RESULTS.toLocaleString('en-US')} (Personalize's limit per segment)`,
      ),
    filterArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:filter\/[a-zA-Z0-9][a-zA-Z0-9_-]*$/,
        'must be the ARN of a Personalize filter, arn:aws:personalize:<region>:<account>:filter/<name>',
      )
      .optional(),
  },
  { error: (issue) => unknownKey(issue, 'a job takes name, queries, numResults and filterArn') },
);
export type BatchSegmentJobConfig = z.infer<typeof jobSchema>;

export const trainingConfigSchema = z
  .strictObject(
    {
      datasetGroup: z.strictObject(
        {
          name: resourceName('dataset group name', 40),
          domain: z
            .enum(DOMAINS, {
              error:
                'must be ECOMMERCE or VIDEO_ON_DEMAND (a Domain dataset group), or left out (a custom dataset group)',
            })
            .optional(),
        },
        { error: (issue) => unknownKey(issue, 'the dataset group takes name and domain') },
      ),
      schemas: z
        .strictObject(
          {
            interactions: fieldsOf('interactions', ['USER_ID', 'ITEM_ID', 'TIMESTAMP']).default(() =>
              defaultSchema('interactions'),
            ),
            items: fieldsOf('items', ['ITEM_ID']).default(() => defaultSchema('items')),
            users: fieldsOf('users', ['USER_ID']).default(() => defaultSchema('users')),
          },
          { error: (issue) => unknownKey(issue, 'schemas takes interactions, items and users') },
        )
        .default(() => ({
          interactions: defaultSchema('interactions'),
          items: defaultSchema('items'),
          users: defaultSchema('users'),
        })),
      recipe: z
        .enum(RECIPES, { error: `must be ${RECIPES.join(' or ')} (the USER_SEGMENTATION recipes)` })
        .default('aws-item-attribute-affinity'),
      solution: z
        .strictObject(
          {
            /** Off by default: every automatic retraining is billed, so cost stays predictable. */
            performAutoTraining: z.boolean({ error: 'must be true or false' }).default(false),
            performHPO: z.boolean({ error: 'must be true or false' }).default(false),
          },
          { error: (issue) => unknownKey(issue, 'the solution takes performAutoTraining and performHPO') },
        )
        .default({ performAutoTraining: false, performHPO: false }),
      batchSegmentJobs: z
        .array(jobSchema, { error: 'must be a list of batch segment jobs' })
        .min(1, 'must hold at least one batch segment job'),
    },
    {
      error: (issue) =>
        unknownKey(issue, 'training.json takes datasetGroup, schemas, recipe, solution and batchSegmentJobs'),
    },
  )
  .superRefine((config, context) => {
    if (config.datasetGroup.domain) {
      for (const issue of domainSchemaIssues(config.datasetGroup.domain, config.schemas)) {
        context.addIssue({ code: 'custom', ...issue });
      }
    }
    const wanted = config.recipe === 'aws-item-affinity' ? 'itemId' : 'itemAttributes';
    const names = new Set<string>();
    config.batchSegmentJobs.forEach((job, jobIndex) => {
      if (names.has(job.name)) {
        context.addIssue({
          code: 'custom',
          path: ['batchSegmentJobs', jobIndex, 'name'],
          message: `names the job ${job.name} a second time; give each job its own name`,
        });
      }
      names.add(job.name);
      job.queries.forEach((query, queryIndex) => {
        if (!(wanted in query)) {
          context.addIssue({
            code: 'custom',
            path: ['batchSegmentJobs', jobIndex, 'queries', queryIndex],
            message: `the recipe ${config.recipe} takes {"${wanted}": …} queries; change the query or the recipe`,
          });
        }
      });
    });
  });

export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;

/** One bad field: its path in training.json (`batchSegmentJobs[0].numResults`) and what to do. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** training.json is not usable; `issues` names every bad field. */
export class TrainingConfigError extends UserFacingError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => `${issue.path || '(top level)'} ${issue.message}`).join('; '), {
      location: file,
    });
  }
}

export interface ParsedTrainingConfig {
  readonly config: TrainingConfig;
  /** Parts of a retired-solution file that were read but have no meaning here (schedules, campaigns, …). */
  readonly ignored: readonly string[];
}

/**
 * Parses and validates training.json (its text). Also accepts the layout of the retired AWS solution
 * "Maintaining Personalized Experiences with Machine Learning". Throws a TrainingConfigError naming
 * every bad field.
 */
export function parseTrainingConfig(text: string, file = 'training.json'): ParsedTrainingConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TrainingConfigError(file, [
      { path: '', message: `is not valid JSON (${(error as Error).message}); fix the syntax` },
    ]);
  }
  let ignored: string[] = [];
  if (isRetiredSolutionLayout(json)) {
    const converted = fromRetiredSolutionLayout(json);
    json = converted.config;
    ignored = converted.ignored;
  }
  const parsed = trainingConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new TrainingConfigError(
      file,
      parsed.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message })),
    );
  }
  return { config: parsed.data, ignored };
}

/** `batchSegmentJobs[0].queries[2]`, as a person would look it up in the file. */
export function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function unknownKey(issue: { code?: string; keys?: readonly string[] }, takes: string): string | undefined {
  if (issue.code === 'unrecognized_keys') {
    return `has the unknown field(s) ${(issue.keys ?? []).join(', ')}; ${takes} (check the spelling or remove them)`;
  }
  if (issue.code === 'invalid_type') return `is missing or not an object; ${takes}`;
  return undefined;
}

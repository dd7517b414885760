/**
 * The config layout of the retired AWS solution "Maintaining Personalized Experiences with Machine
 * Learning" (`datasetGroup.serviceConfig`, `datasets.<type>.schema.serviceConfig.schema`,
 * `solutions[].batchSegmentJobs[]`), turned into ours so teams leaving it can reuse their file.
 *
 * Read: the dataset group's name and domain, the schemas' fields, the first USER_SEGMENTATION
 * solution's recipe and performAutoTraining/performHPO, its batch segment jobs' jobName,
 * numResults and filterArn. Queries are not in that layout (the solution read them from S3), so each
 * job needs a `queries` list added beside its `serviceConfig`. Everything else (schedules,
 * campaigns, batch inference jobs, filters, event trackers, other recipes) is listed as ignored.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when the file uses the retired solution's layout (its dataset group has a serviceConfig). */
export function isRetiredSolutionLayout(json: unknown): json is Json {
  return isObject(json) && isObject(json['datasetGroup']) && isObject(json['datasetGroup']['serviceConfig']);
}

const SEGMENTATION_RECIPE = /recipe\/(aws-item-attribute-affinity|aws-item-affinity)$/;

export function fromRetiredSolutionLayout(json: Json): { config: Json; ignored: string[] } {
  const ignored: string[] = [];
  const groupConfig = (json['datasetGroup'] as Json)['serviceConfig'] as Json;
  if (isObject((json['datasetGroup'] as Json)['workflowConfig'])) ignored.push('datasetGroup.workflowConfig');
  for (const key of ['eventTracker', 'filters', 'metricAttribution', 'recommenders']) {
    if (key in json) ignored.push(key);
  }

  const schemas: Json = {};
  const datasets = isObject(json['datasets']) ? json['datasets'] : {};
  for (const [type, dataset] of Object.entries(datasets)) {
    const schema = isObject(dataset) ? (dataset['schema'] as Json | undefined) : undefined;
    const avro =
      isObject(schema) && isObject(schema['serviceConfig']) ? schema['serviceConfig']['schema'] : undefined;
    const fields = isObject(avro) && Array.isArray(avro['fields']) ? avro['fields'] : undefined;
    if (fields) schemas[type] = { fields: fields.map(fieldOf) };
  }

  const solutions = Array.isArray(json['solutions']) ? json['solutions'] : [];
  const index = solutions.findIndex(
    (solution) =>
      isObject(solution) &&
      isObject(solution['serviceConfig']) &&
      SEGMENTATION_RECIPE.test(String(solution['serviceConfig']['recipeArn'] ?? '')),
  );
  solutions.forEach((_, i) => {
    if (i !== index) ignored.push(`solutions[${i}] (not the first USER_SEGMENTATION solution)`);
  });
  const solution = (index >= 0 ? solutions[index] : {}) as Json;
  const service = isObject(solution['serviceConfig']) ? solution['serviceConfig'] : {};
  for (const key of ['campaigns', 'batchInferenceJobs', 'workflowConfig']) {
    if (key in solution) ignored.push(`solutions[${index}].${key}`);
  }
  const jobs = Array.isArray(solution['batchSegmentJobs']) ? solution['batchSegmentJobs'] : undefined;

  const config: Json = {
    datasetGroup: {
      name: groupConfig['name'],
      ...(groupConfig['domain'] ? { domain: groupConfig['domain'] } : {}),
    },
    ...(Object.keys(schemas).length > 0 ? { schemas } : {}),
    ...(typeof service['recipeArn'] === 'string'
      ? { recipe: SEGMENTATION_RECIPE.exec(service['recipeArn'])?.[1] ?? service['recipeArn'] }
      : {}),
    solution: {
      ...(typeof service['performAutoTraining'] === 'boolean'
        ? { performAutoTraining: service['performAutoTraining'] }
        : {}),
      ...(typeof service['performHPO'] === 'boolean' ? { performHPO: service['performHPO'] } : {}),
    },
    batchSegmentJobs: jobs?.map((job, i) => {
      const jobConfig = isObject(job) && isObject(job['serviceConfig']) ? job['serviceConfig'] : {};
      if (isObject(job) && 'workflowConfig' in job)
        ignored.push(`solutions[${index}].batchSegmentJobs[${i}].workflowConfig`);
      return {
        name: jobConfig['jobName'] ?? `segments-${i + 1}`,
        queries: isObject(job) ? job['queries'] : undefined,
        numResults: jobConfig['numResults'],
        ...(jobConfig['filterArn'] ? { filterArn: jobConfig['filterArn'] } : {}),
      };
    }),
  };
  return { config, ignored };
}

/** An Avro field (`"type": ["null", "string"]` for a nullable one) as one of ours. */
function fieldOf(field: unknown): unknown {
  if (!isObject(field)) return field;
  const types = Array.isArray(field['type']) ? field['type'] : [field['type']];
  const nullable = types.includes('null');
  const type = types.find((t) => t !== 'null');
  return {
    name: field['name'],
    type,
    ...(field['categorical'] === true ? { categorical: true } : {}),
    ...(field['textual'] === true ? { textual: true } : {}),
    ...(nullable ? { nullable: true } : {}),
  };
}

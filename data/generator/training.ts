/**
 * The sample's training.json: what `cdp preflight data/sample/personalize` checks and the training
 * workflow runs. One job asks for every genre (more than the 10 queries an item-attribute-affinity
 * input file takes, so the workflow splits it), one for every category.
 */
import { DEFAULT_SCHEMAS, type TrainingConfigInput } from '../../lambdas/core/training/training-config';
import { CATEGORIES, GENRES } from './catalog';

/** Where the generator writes it, relative to the output folder. */
export const TRAINING_FILE = 'personalize/training.json';

/** Users per segment: a quarter of the sample's customers is a useful audience. */
const SEGMENT_SIZE = 500;

const equals = (column: string, value: string) => ({
  itemAttributes: `ITEMS.${column} = ${JSON.stringify(value)}`,
});

export function sampleTrainingConfig(): TrainingConfigInput {
  return {
    datasetGroup: { name: 'cdp-sample' },
    schemas: DEFAULT_SCHEMAS,
    recipe: 'aws-item-attribute-affinity',
    solution: { performAutoTraining: false, performHPO: false },
    batchSegmentJobs: [
      { name: 'genres', queries: GENRES.map((genre) => equals('GENRES', genre)), numResults: SEGMENT_SIZE },
      {
        name: 'categories',
        queries: CATEGORIES.map((category) => equals('CATEGORY', category)),
        numResults: SEGMENT_SIZE,
      },
    ],
  };
}

/** The file's text: stable key order and indentation, so a regenerated sample is byte-identical. */
export function sampleTrainingJson(): string {
  return `${JSON.stringify(sampleTrainingConfig(), null, 2)}\n`;
}

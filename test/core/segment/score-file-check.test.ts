import { describe, expect, it } from 'vitest';
import { refuseBrokenScoreFiles } from '../../../lambdas/core/segment/score-file-check';
import { memorySource, scoresCsv } from './fakes';

describe('refuseBrokenScoreFiles', () => {
  it('passes a run whose files are sound, bad rows included', async () => {
    // Prepare
    const sources = [memorySource('churn', 'churn.csv', 'customer_id,score\nc1,0.1\nc2,high\n')];

    // Act
    const checking = refuseBrokenScoreFiles(sources);

    // Assess
    await expect(checking).resolves.toBeUndefined();
  });

  it('names every broken file of the run, each with its line, not only the first', async () => {
    // Prepare
    const sources = [
      memorySource('churn', 'churn.csv', 'c1,0.1\nc2,0.2'),
      memorySource('churn', 'fine.csv', scoresCsv(3)),
      memorySource('repurchase', 'repurchase.csv', ''),
    ];

    // Act
    const checking = refuseBrokenScoreFiles(sources);

    // Assess
    await expect(checking).rejects.toThrow(
      'nothing was pushed: 2 score file(s) of the run cannot be read row by row, so the run was refused whole. ' +
        'Fix them and push the run again.\n' +
        "  churn.csv line 1: the first line must be a header naming the columns customer_id and score (found 'c1,0.1'); none of its 2 line(s) were pushed\n" +
        '  repurchase.csv line 1: the file is empty: it holds no rows',
    );
  });
});

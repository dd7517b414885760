import { UserFacingError } from '../errors';
import { readScoreRows, type BrokenFile } from './score-rows';
import type { ScoreSource } from './sync-scores';

/**
 * Reads every score file of a run once, before anything is sent, and refuses the run when any of
 * them is broken as a whole (no header, a quote that swallows the lines after it, no rows).
 *
 * Refused whole, not pushed up to the break: past a broken quote the parser's idea of where rows
 * start is wrong, so "the rows before it" are not a safe partial result either; and a run that
 * Lambda pushes in several invocations would otherwise stop half-sent, with part of its rows in
 * Segment. The cost is one extra read of each file (see the README's benchmark). Bad rows in a
 * sound file are not a reason to refuse it: they are reported row by row while pushing.
 */
export async function refuseBrokenScoreFiles(sources: readonly ScoreSource[]): Promise<void> {
  const problems: string[] = [];
  for (const source of sources) {
    const broken = await firstBreak(source);
    if (!broken) continue;
    // Broken on line 1, the first line is no header: every line may be data.
    const [lines, what] =
      broken.line === 1
        ? [await lineCount(source), 'line(s)']
        : [(await lineCount(source)) - 1, 'data line(s)'];
    const lost =
      lines > 0 && !broken.empty ? `; none of its ${lines.toLocaleString('en-US')} ${what} were pushed` : '';
    problems.push(`${source.name} line ${broken.line}: ${broken.reason}${lost}`);
  }
  if (problems.length > 0) {
    throw new UserFacingError(
      `nothing was pushed: ${problems.length} score file(s) of the run cannot be read row by row, ` +
        `so the run was refused whole. Fix them and push the run again.\n  ${problems.join('\n  ')}`,
    );
  }
}

async function firstBreak(source: ScoreSource): Promise<BrokenFile | undefined> {
  for await (const record of readScoreRows(await source.open(0))) {
    if (record.kind === 'broken') return record;
  }
  return undefined;
}

/** Lines in the file, the last one counted even without a final line break. */
async function lineCount(source: ScoreSource): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of await source.open(0)) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let index = bytes.indexOf(0x0a); index >= 0; index = bytes.indexOf(0x0a, index + 1)) lines += 1;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  }
  return last === 0x0a ? lines : lines + 1;
}

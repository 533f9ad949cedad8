/**
 * How a finished result reads: which tests come first, which notebook cells
 * went wrong and how, whether output was cut.
 *
 * Pure functions of the result JSON, so the rules are tested without a DOM.
 * Fields added to the result over time (`cell_errors[].kind`,
 * `output_truncated`) may be missing from results stored before they
 * existed; every function here reads a missing field as its old meaning.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import type {
  ICellError,
  IChallengeDetail,
  IGradeResult,
  TestStatus
} from './tokens';

/** Statuses that mean the learner has something to fix. */
export function isProblem(status: TestStatus | 'pending'): boolean {
  return status === 'failed' || status === 'error' || status === 'timeout';
}

function rank(status: TestStatus | 'pending'): number {
  if (isProblem(status)) {
    return 0;
  }
  switch (status) {
    case 'not_run':
      return 1;
    case 'pending':
      return 2;
    case 'skipped':
      return 3;
    default:
      return 4; // passed
  }
}

/**
 * The tests in reading order: failures (failed, error, timeout) first, then
 * tests that did not run, then skipped, then passed; the run's own order
 * within each group.
 */
export function orderForReading<T extends { status: TestStatus | 'pending' }>(
  tests: ReadonlyArray<T>
): T[] {
  return tests
    .map((test, index) => ({ test, index }))
    .sort(
      (a, b) => rank(a.test.status) - rank(b.test.status) || a.index - b.index
    )
    .map(entry => entry.test);
}

/** The id of the first failing test in reading order, or null. */
export function firstFailureId(
  tests: ReadonlyArray<{ id: string; status: TestStatus | 'pending' }>
): string | null {
  return tests.find(test => isProblem(test.status))?.id ?? null;
}

/** What happened to a cell; results without `kind` are exceptions. */
export function cellErrorKind(error: ICellError): 'exception' | 'timeout' {
  return error.kind === 'timeout' ? 'timeout' : 'exception';
}

/** The time limit of one notebook cell, in seconds, when the challenge says. */
export function cellTimeoutSeconds(
  limits: IChallengeDetail['limits'] | undefined
): number | null {
  const value = limits?.cell_timeout_s ?? limits?.timeout_s;
  return typeof value === 'number' && value > 0 ? value : null;
}

/** The output cap per test in kB, when the challenge says. */
export function outputCapKb(
  limits: IChallengeDetail['limits'] | undefined
): number | null {
  const value = limits?.output_kb;
  return typeof value === 'number' && value > 0 ? value : null;
}

/** True when the result or any of its tests had its output cut at the cap. */
export function outputWasTruncated(result: IGradeResult): boolean {
  return (
    result.output_truncated === true ||
    (result.tests ?? []).some(test => test.output_truncated === true)
  );
}

/**
 * One cell's trouble in a sentence: `cell 3 of the notebook timed out after
 * 5 s and was interrupted`, `cell 2 raised NameError: name 'x' is not defined`.
 */
export function cellErrorSentence(
  error: ICellError,
  trans: TranslationBundle,
  timeoutSeconds: number | null = null
): string {
  const cell = String(error.cell + 1);
  if (cellErrorKind(error) === 'timeout') {
    return timeoutSeconds !== null
      ? trans.__(
          'cell %1 of the notebook timed out after %2 s and was interrupted',
          cell,
          String(timeoutSeconds)
        )
      : trans.__('cell %1 of the notebook timed out and was interrupted', cell);
  }
  const what = error.evalue ? `${error.ename}: ${error.evalue}` : error.ename;
  return trans.__('cell %1 of the notebook raised %2', cell, what);
}

/**
 * The headline of a result whose tests all passed but whose notebook had
 * trouble (`All tests passed · cell 3 of the notebook timed out…`), or null
 * when there is nothing to add to the summary.
 */
export function passedWithWarnings(
  result: IGradeResult,
  trans: TranslationBundle,
  timeoutSeconds: number | null = null
): string | null {
  const errors = result.cell_errors ?? [];
  if (result.status !== 'passed' || errors.length === 0) {
    return null;
  }
  const first = cellErrorSentence(errors[0], trans, timeoutSeconds);
  const more =
    errors.length > 1
      ? ' ' +
        trans._n('(and %1 more cell)', '(and %1 more cells)', errors.length - 1)
      : '';
  return `${trans.__('All tests passed')} · ${first}${more}`;
}

/**
 * How test results look: the progress of a live run, and a finished result
 * as its summary (`Summary.tsx`), what went wrong in the notebook
 * (`NotebookErrors.tsx`) and one row per test (`TestRow.tsx`).
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { cellTimeoutSeconds, outputCapKb } from '../outcome';
import type { RunPhase } from '../run';
import type { IChallengeDetail, IGradeResult } from '../tokens';
import { CellErrors, ErrorBanner } from './NotebookErrors';
import { Summary } from './Summary';
import { TestList } from './TestRow';

/**
 * "4 of 10 tests" with a bar; indeterminate until the tests are collected.
 * While the submission waits to be graded, the server's `waiting` message
 * (no grading worker is running, say) stands in for the count.
 */
export function ProgressBar(props: {
  phase: RunPhase;
  completed: number;
  total: number | null;
  mode: 'run' | 'submit';
  waiting?: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { phase, completed, total, trans } = props;
  let label: string;
  if (phase === 'grading' && total === null && props.waiting) {
    label = props.waiting;
  } else if (phase === 'saving') {
    label = trans.__('Saving the notebook…');
  } else if (phase === 'submitting') {
    label =
      props.mode === 'submit'
        ? trans.__('Submitting…')
        : trans.__('Starting the tests…');
  } else if (total === null) {
    label = trans.__('Running your notebook…');
  } else {
    label = trans.__('%1 of %2 tests', String(completed), String(total));
  }
  const known = total !== null && total > 0;
  const percent = known ? Math.round((completed / total!) * 100) : 0;
  return (
    <div className="jp-codequest-progress">
      <div
        className="jp-codequest-progress-track"
        role="progressbar"
        aria-label={trans.__('Test progress')}
        aria-valuemin={0}
        aria-valuemax={known ? total! : undefined}
        aria-valuenow={known ? completed : undefined}
        aria-valuetext={label}
      >
        <div
          className={
            'jp-codequest-progress-fill' +
            (known ? '' : ' jp-mod-indeterminate')
          }
          style={known ? { width: `${percent}%` } : undefined}
        />
      </div>
      <div className="jp-codequest-progress-label" aria-live="polite">
        {label}
      </div>
    </div>
  );
}

/** A finished result: summary, error banner, cell warnings, test rows. */
export function ResultView(props: {
  result: IGradeResult;
  /** The challenge's limits, for "timed out after 5 s" and "cut at 64 kB". */
  limits?: IChallengeDetail['limits'];
  onJumpToCell?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  const cap = outputCapKb(props.limits);
  return (
    <div className="jp-codequest-result">
      <Summary result={result} outputCapKb={cap} trans={trans} />
      {result.error && (
        <ErrorBanner
          error={result.error}
          onJumpToCell={props.onJumpToCell}
          trans={trans}
        />
      )}
      <CellErrors
        result={result}
        timeoutSeconds={cellTimeoutSeconds(props.limits)}
        onJumpToCell={props.onJumpToCell}
        trans={trans}
      />
      <TestList
        rows={result.tests ?? []}
        ordered
        outputCapKb={cap}
        trans={trans}
      />
    </div>
  );
}

/**
 * How test results look: progress, summary, error banner and one row per
 * test. Everything from learners or tests is rendered as React text nodes.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import {
  errorKindTitle,
  formatDuration,
  formatPoints,
  summaryText,
  testStatusLabel
} from '../format';
import type { ITestRow, RunPhase } from '../run';
import type { ICellError, IGradeError, IGradeResult } from '../tokens';

/**
 * A test's name with line-break opportunities after `_` and `.`, so a long
 * identifier in a narrow sidebar wraps between words, not mid-word.
 */
export function TestName(props: { name: string }): JSX.Element {
  const parts = props.name.split(/(?<=[_.])/);
  return (
    <span className="jp-codequest-test-name">
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </React.Fragment>
      ))}
    </span>
  );
}

/** "4 of 10 tests" with a bar; indeterminate until the tests are collected. */
export function ProgressBar(props: {
  phase: RunPhase;
  completed: number;
  total: number | null;
  mode: 'run' | 'submit';
  trans: TranslationBundle;
}): JSX.Element {
  const { phase, completed, total, trans } = props;
  let label: string;
  if (phase === 'saving') {
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

/** "3/4 passed · 6/8 points · 0.4 s", coloured by the outcome. */
export function Summary(props: {
  result: IGradeResult;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  const tone =
    result.status === 'passed'
      ? 'pass'
      : result.status === 'error'
        ? 'warn'
        : 'fail';
  return (
    <div
      className={`jp-codequest-summary jp-codequest-tone-${tone}`}
      role="status"
    >
      <span className="jp-codequest-summary-mode">
        {result.mode === 'submit' ? trans.__('Submission') : trans.__('Test run')}
      </span>
      <span className="jp-codequest-summary-text">
        {summaryText(result, trans)}
      </span>
    </div>
  );
}

/** A link-like button naming a notebook cell; cells are 0-based, shown 1-based. */
export function CellLink(props: {
  cell: number;
  onJump?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const text = props.trans.__('cell %1', String(props.cell + 1));
  if (!props.onJump) {
    return <span>{text}</span>;
  }
  return (
    <button
      type="button"
      className="jp-codequest-link"
      onClick={() => props.onJump!(props.cell)}
      title={props.trans.__('Go to %1 in the notebook', text)}
    >
      {text}
    </button>
  );
}

/** The banner for an error that kept the tests from running. */
export function ErrorBanner(props: {
  error: IGradeError;
  onJumpToCell?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { error, trans } = props;
  const [showTrace, setShowTrace] = useState(false);
  const hasCell = typeof error.cell === 'number';
  return (
    <div className="jp-codequest-banner jp-codequest-tone-warn" role="alert">
      <div className="jp-codequest-banner-title">
        <span aria-hidden="true">⚠ </span>
        {errorKindTitle(error.kind, trans)}
        {hasCell && (
          <>
            {' — '}
            <CellLink
              cell={error.cell!}
              onJump={props.onJumpToCell}
              trans={trans}
            />
          </>
        )}
      </div>
      <div className="jp-codequest-banner-message">{error.message}</div>
      {error.traceback && (
        <>
          <button
            type="button"
            className="jp-codequest-link"
            aria-expanded={showTrace}
            onClick={() => setShowTrace(!showTrace)}
          >
            {showTrace ? trans.__('Hide details') : trans.__('Show details')}
          </button>
          {showTrace && (
            <pre className="jp-codequest-pre">{error.traceback}</pre>
          )}
        </>
      )}
    </div>
  );
}

/** Cells of the learner's notebook that raised while it ran. */
export function CellErrors(props: {
  errors: ICellError[];
  onJumpToCell?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { errors, trans } = props;
  if (errors.length === 0) {
    return null;
  }
  return (
    <div className="jp-codequest-cell-errors">
      <div className="jp-codequest-section-title">
        {trans._n(
          'A cell raised an error while your notebook ran',
          '%1 cells raised errors while your notebook ran',
          errors.length
        )}
      </div>
      <ul>
        {errors.map((err, index) => (
          <li key={`${err.cell}-${index}`}>
            <CellLink
              cell={err.cell}
              onJump={props.onJumpToCell}
              trans={trans}
            />
            {': '}
            <span className="jp-codequest-mono">
              {err.evalue ? `${err.ename}: ${err.evalue}` : err.ename}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Expected and actual values side by side. */
export function ExpectedActual(props: {
  expected: string;
  actual: string;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-codequest-diff">
      <div className="jp-codequest-diff-side">
        <div className="jp-codequest-diff-label">
          {props.trans.__('Expected')}
        </div>
        <pre className="jp-codequest-pre jp-codequest-expected">
          {props.expected}
        </pre>
      </div>
      <div className="jp-codequest-diff-side">
        <div className="jp-codequest-diff-label">
          {props.trans.__('Actual')}
        </div>
        <pre className="jp-codequest-pre jp-codequest-actual">
          {props.actual}
        </pre>
      </div>
    </div>
  );
}

function hasDetails(row: ITestRow): boolean {
  return !!(
    row.message ||
    row.output ||
    (row.expected !== undefined && row.expected !== null) ||
    (row.actual !== undefined && row.actual !== null)
  );
}

/** One test: status, name, points; expands to message, diff and output. */
export function TestRow(props: {
  row: ITestRow;
  trans: TranslationBundle;
  defaultExpanded?: boolean;
}): JSX.Element {
  const { row, trans } = props;
  const [expanded, setExpanded] = useState(!!props.defaultExpanded);
  const status = testStatusLabel(row.status, trans);
  const details = hasDetails(row);
  const expandable = row.status !== 'pending' && (details || row.hidden);
  const points =
    row.max_points !== undefined && row.status !== 'pending'
      ? `${formatPoints(row.points)}/${formatPoints(row.max_points)}`
      : null;
  const detailsId = `jp-codequest-test-${encodeURIComponent(row.id)}`;

  const header = (
    <>
      <span
        className={`jp-codequest-status jp-codequest-tone-${status.tone}`}
        aria-label={status.label}
        title={status.label}
      >
        {status.glyph}
      </span>
      <TestName name={row.name} />
      {row.hidden && (
        <span className="jp-codequest-badge" title={trans.__('Hidden test')}>
          {trans.__('hidden')}
        </span>
      )}
      {points !== null && (
        <span
          className="jp-codequest-test-points"
          aria-label={trans.__('%1 points', points)}
        >
          {points}
        </span>
      )}
      {row.status !== 'pending' && row.duration_ms !== undefined && (
        <span className="jp-codequest-test-duration">
          {formatDuration(row.duration_ms, trans)}
        </span>
      )}
    </>
  );

  return (
    <li
      className={`jp-codequest-test jp-codequest-test-${row.status}`}
      data-test-id={row.id}
    >
      {expandable ? (
        <button
          type="button"
          className="jp-codequest-test-header"
          aria-expanded={expanded}
          aria-controls={detailsId}
          onClick={() => setExpanded(!expanded)}
        >
          <span className="jp-codequest-caret" aria-hidden="true">
            {expanded ? '▾' : '▸'}
          </span>
          {header}
        </button>
      ) : (
        <div className="jp-codequest-test-header">
          <span className="jp-codequest-caret" aria-hidden="true" />
          {header}
        </div>
      )}
      {expandable && expanded && (
        <div className="jp-codequest-test-details" id={detailsId}>
          {row.hidden && !details && (
            <div className="jp-codequest-muted">
              {trans.__('The details of hidden tests are not shown.')}
            </div>
          )}
          {row.message && (
            <pre className="jp-codequest-pre jp-codequest-message">
              {row.message}
            </pre>
          )}
          {((row.expected !== undefined && row.expected !== null) ||
            (row.actual !== undefined && row.actual !== null)) && (
            <ExpectedActual
              expected={row.expected ?? ''}
              actual={row.actual ?? ''}
              trans={trans}
            />
          )}
          {row.output && (
            <>
              <div className="jp-codequest-diff-label">
                {trans.__('Output')}
              </div>
              <pre className="jp-codequest-pre jp-codequest-output">
                {row.output}
              </pre>
            </>
          )}
        </div>
      )}
    </li>
  );
}

/** The list of test rows. */
export function TestList(props: {
  rows: ReadonlyArray<ITestRow>;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <ul
      className="jp-codequest-tests"
      aria-label={props.trans.__('Test results')}
    >
      {props.rows.map(row => (
        <TestRow key={row.id} row={row} trans={props.trans} />
      ))}
    </ul>
  );
}

/** A finished result: summary, error banner, cell errors, test rows. */
export function ResultView(props: {
  result: IGradeResult;
  onJumpToCell?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  return (
    <div className="jp-codequest-result">
      <Summary result={result} trans={trans} />
      {result.error && (
        <ErrorBanner
          error={result.error}
          onJumpToCell={props.onJumpToCell}
          trans={trans}
        />
      )}
      <CellErrors
        errors={result.cell_errors ?? []}
        onJumpToCell={props.onJumpToCell}
        trans={trans}
      />
      <TestList rows={result.tests ?? []} trans={trans} />
    </div>
  );
}

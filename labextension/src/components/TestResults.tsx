/**
 * How test results look: progress, error banner, cell warnings and one row
 * per test (the summary line is `Summary.tsx`). Everything from learners or
 * tests is rendered as React text nodes.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import {
  errorKindTitle,
  formatDuration,
  formatPoints,
  testStatusLabel
} from '../format';
import {
  cellErrorKind,
  cellErrorSentence,
  cellTimeoutSeconds,
  firstFailureId,
  orderForReading,
  outputCapKb,
  passedWithWarnings
} from '../outcome';
import type { ITestRow, RunPhase } from '../run';
import { Pre } from './Pre';
import { Summary } from './Summary';
import type { IChallengeDetail, IGradeError, IGradeResult } from '../tokens';

/**
 * A test's name on one line, ellipsized when the sidebar is narrow, the full
 * name on hover; `full` lets it wrap (after `_` and `.`, not mid-word), as
 * in an expanded row.
 */
export function TestName(props: { name: string; full?: boolean }): JSX.Element {
  // Chromium breaks at <wbr> even in `white-space: nowrap`: one part unless full.
  const parts = props.full ? props.name.split(/(?<=[_.])/) : [props.name];
  return (
    <span
      className={'jp-codequest-test-name' + (props.full ? ' jp-mod-full' : '')}
      title={props.name}
    >
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </React.Fragment>
      ))}
    </span>
  );
}

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

export { Summary };

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
            <Pre label={trans.__('Traceback')}>{error.traceback}</Pre>
          )}
        </>
      )}
    </div>
  );
}

/**
 * Cells of the learner's notebook that raised or timed out while it ran: a
 * warning that did not stop the tests, unlike the error banner.
 */
export function CellErrors(props: {
  result: IGradeResult;
  timeoutSeconds?: number | null;
  onJumpToCell?: (cell: number) => void;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { result, trans } = props;
  const errors = result.cell_errors ?? [];
  if (errors.length === 0) {
    return null;
  }
  const timeouts = errors.filter(e => cellErrorKind(e) === 'timeout').length;
  const headline =
    passedWithWarnings(result, trans, props.timeoutSeconds ?? null) ??
    (timeouts === errors.length
      ? trans._n(
          'A cell of your notebook timed out and was interrupted; the tests still ran',
          '%1 cells of your notebook timed out and were interrupted; the tests still ran',
          errors.length
        )
      : timeouts === 0
        ? trans._n(
            'A cell raised an error while your notebook ran; the tests still ran',
            '%1 cells raised errors while your notebook ran; the tests still ran',
            errors.length
          )
        : trans.__(
            '%1 cells of your notebook had problems; the tests still ran',
            String(errors.length)
          ));
  return (
    <div
      className="jp-codequest-cell-errors jp-codequest-notice jp-codequest-tone-warn"
      role="status"
    >
      <div className="jp-codequest-banner-title">
        <span aria-hidden="true">⚠ </span>
        {headline}
      </div>
      <ul>
        {errors.map((err, index) => {
          const sentence = cellErrorSentence(
            err,
            trans,
            props.timeoutSeconds ?? null
          );
          const cellWords = trans.__('cell %1', String(err.cell + 1));
          // "cell 3" becomes the link, the rest of the sentence plain text.
          const rest = sentence.startsWith(cellWords)
            ? sentence.slice(cellWords.length)
            : ` — ${sentence}`;
          return (
            <li
              key={`${err.cell}-${index}`}
              className={`jp-codequest-cell-error jp-codequest-cell-error-${cellErrorKind(err)}`}
            >
              <CellLink
                cell={err.cell}
                onJump={props.onJumpToCell}
                trans={trans}
              />
              <span className="jp-codequest-cell-error-text">{rest}</span>
            </li>
          );
        })}
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
        <Pre
          className="jp-codequest-expected"
          label={props.trans.__('Expected')}
        >
          {props.expected}
        </Pre>
      </div>
      <div className="jp-codequest-diff-side">
        <div className="jp-codequest-diff-label">
          {props.trans.__('Actual')}
        </div>
        <Pre className="jp-codequest-actual" label={props.trans.__('Actual')}>
          {props.actual}
        </Pre>
      </div>
    </div>
  );
}

function hasDetails(row: ITestRow): boolean {
  return !!(
    row.message ||
    row.output ||
    row.output_truncated ||
    (row.expected !== undefined && row.expected !== null) ||
    (row.actual !== undefined && row.actual !== null)
  );
}

/** One test: status, name, points; expands to message, diff and output. */
export function TestRow(props: {
  row: ITestRow;
  trans: TranslationBundle;
  defaultExpanded?: boolean;
  outputCapKb?: number | null;
}): JSX.Element {
  const { row, trans } = props;
  const [expanded, setExpanded] = useState(!!props.defaultExpanded);
  const status = testStatusLabel(row.status, trans);
  const details = hasDetails(row);
  const expandable = row.status !== 'pending' && (details || row.hidden);
  const open = expandable && expanded;
  const points =
    row.max_points !== undefined && row.status !== 'pending'
      ? `${formatPoints(row.points)}/${formatPoints(row.max_points)}`
      : null;
  const detailsId = `jp-codequest-test-${encodeURIComponent(row.id)}`;

  const header = (
    <>
      <span
        className={`jp-codequest-status jp-codequest-tone-${status.tone}`}
        role="img"
        aria-label={status.label}
        title={status.label}
      >
        {status.glyph}
      </span>
      <TestName name={row.name} full={open} />
      {row.hidden && (
        <span className="jp-codequest-badge" title={trans.__('Hidden test')}>
          {trans.__('hidden')}
        </span>
      )}
      {points !== null && (
        <span className="jp-codequest-test-points">
          {points}
          <span className="jp-codequest-sr-only"> {trans.__('points')}</span>
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
      className={
        `jp-codequest-test jp-codequest-test-${row.status}` +
        (open ? ' jp-mod-expanded' : '')
      }
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
      {open && (
        <div className="jp-codequest-test-details" id={detailsId}>
          {row.hidden && !details && (
            <div className="jp-codequest-muted">
              {trans.__('The details of hidden tests are not shown.')}
            </div>
          )}
          {row.message && (
            <Pre className="jp-codequest-message" label={trans.__('Message')}>
              {row.message}
            </Pre>
          )}
          {((row.expected !== undefined && row.expected !== null) ||
            (row.actual !== undefined && row.actual !== null)) && (
            <ExpectedActual
              expected={row.expected ?? ''}
              actual={row.actual ?? ''}
              trans={trans}
            />
          )}
          {(row.output || row.output_truncated) && (
            <>
              <div className="jp-codequest-diff-label">
                {trans.__('Output')}
              </div>
              {row.output && (
                <Pre className="jp-codequest-output" label={trans.__('Output')}>
                  {row.output}
                </Pre>
              )}
              {row.output_truncated && (
                <div className="jp-codequest-truncated jp-codequest-muted">
                  {props.outputCapKb
                    ? trans.__(
                        'Output truncated at %1 kB: the rest of what this test printed was not kept.',
                        String(props.outputCapKb)
                      )
                    : trans.__(
                        'Output truncated: the rest of what this test printed was not kept.'
                      )}
                </div>
              )}
            </>
          )}
        </div>
      )}
    </li>
  );
}

/**
 * The list of test rows. A finished result is `ordered`: failures first,
 * the first of them expanded; a live run keeps the order tests run in.
 */
export function TestList(props: {
  rows: ReadonlyArray<ITestRow>;
  ordered?: boolean;
  outputCapKb?: number | null;
  trans: TranslationBundle;
}): JSX.Element {
  const rows = props.ordered ? orderForReading(props.rows) : props.rows;
  const expand = props.ordered ? firstFailureId(rows) : null;
  return (
    <ul
      className="jp-codequest-tests"
      aria-label={props.trans.__('Test results')}
    >
      {rows.map(row => (
        <TestRow
          key={row.id}
          row={row}
          defaultExpanded={row.id === expand}
          outputCapKb={props.outputCapKb}
          trans={props.trans}
        />
      ))}
    </ul>
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

/**
 * One row per test: status, name, points and time, expanding to the
 * message, expected and actual values side by side, and the output. Learner
 * and test text is rendered as React text nodes, never as markup.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { formatDuration, formatPoints, testStatusLabel } from '../format';
import { firstFailureId, orderForReading } from '../outcome';
import type { ITestRow } from '../run';
import { Pre } from './Pre';

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

/** Whether a row has anything to show when expanded (hidden tests may not). */
export function hasDetails(row: ITestRow): boolean {
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

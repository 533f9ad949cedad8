/**
 * What went wrong in the learner's notebook: the banner for an error that
 * kept the tests from running, and the warning listing cells that raised or
 * timed out while the tests still ran. Both name cells as links that select
 * the cell in the notebook.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { errorKindTitle } from '../format';
import {
  cellErrorKind,
  cellErrorSentence,
  passedWithWarnings
} from '../outcome';
import type { IGradeError, IGradeResult } from '../tokens';
import { Pre } from './Pre';

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

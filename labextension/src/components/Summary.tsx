/**
 * The one-line summary of a finished result, with its notes.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { summaryText } from '../format';
import { outputWasTruncated } from '../outcome';
import { lateResultText } from '../schedule';
import type { IGradeResult } from '../tokens';

/**
 * "3/4 passed · 6/8 points · 0.4 s", coloured by the outcome, with a note
 * when the submission was late (and what the penalty took) and one when
 * some output was cut at the cap.
 */
export function Summary(props: {
  result: IGradeResult;
  outputCapKb?: number | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  const tone =
    result.status === 'passed'
      ? 'pass'
      : result.status === 'error'
        ? 'warn'
        : 'fail';
  const truncated = outputWasTruncated(result);
  const late = lateResultText(result, trans);
  return (
    <div className="jp-codequest-summary" role="status">
      <span className="jp-codequest-summary-mode">
        {result.mode === 'submit'
          ? trans.__('Submission')
          : trans.__('Test run')}
      </span>
      <span className={`jp-codequest-summary-text jp-codequest-tone-${tone}`}>
        {summaryText(result, trans)}
      </span>
      {late && (
        <span className="jp-codequest-summary-note jp-codequest-late-note">
          <span className="jp-codequest-badge jp-codequest-late-badge">
            {trans.__('late')}
          </span>{' '}
          {late}
        </span>
      )}
      {truncated && (
        <span className="jp-codequest-summary-note jp-codequest-muted">
          {props.outputCapKb
            ? trans.__(
                'Some output was cut at %1 kB per test.',
                String(props.outputCapKb)
              )
            : trans.__('Some output was cut at the size limit.')}
        </span>
      )}
    </div>
  );
}

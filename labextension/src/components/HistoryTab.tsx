/**
 * The History tab of the Tests panel: the score chart and the submissions,
 * one submission's full result with Restore, and Reset to starter; both
 * undoable. It moves the keyboard focus along when the view it was in goes.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useRef } from 'react';

import { formatWhen } from '../format';
import type { ChallengeSession } from '../session';
import type { INotebookHandle } from '../notebook';
import { HistoryList, ScoreChart } from './History';
import { ResultView } from './TestResults';

export function HistoryTab(props: {
  session: ChallengeSession;
  notebook: INotebookHandle;
  trans: TranslationBundle;
}): JSX.Element {
  const { session, notebook, trans } = props;
  const entries = session.history ?? [];
  const notice = session.notice;
  const selected = session.selected;
  const busy = session.busy !== null;
  const root = useRef<HTMLDivElement>(null);
  const backButton = useRef<HTMLButtonElement>(null);
  const lastSelected = useRef<string | null>(null);
  // The button that opened an entry is replaced by the entry's view (and back
  // again): move the focus along instead of losing it to the page.
  useEffect(() => {
    const id = selected?.id ?? null;
    const lost = () =>
      !document.activeElement || document.activeElement === document.body;
    if (id !== null && id !== lastSelected.current) {
      backButton.current?.focus();
    } else if (id === null && lastSelected.current !== null && lost()) {
      const previous = lastSelected.current;
      const items = root.current?.querySelectorAll<HTMLElement>(
        '[data-submission-id]'
      );
      Array.from(items ?? [])
        .find(item => item.dataset.submissionId === previous)
        ?.querySelector('button')
        ?.focus();
    }
    lastSelected.current = id;
  }, [selected?.id]);
  return (
    <div className="jp-codequest-history-tab" ref={root}>
      {notice && (
        <div
          className={`jp-codequest-notice jp-codequest-tone-${
            notice.tone === 'error' ? 'warn' : 'info'
          }`}
          role={notice.tone === 'error' ? 'alert' : 'status'}
        >
          {notice.text}
        </div>
      )}
      {session.undo && (
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button"
          aria-disabled={busy}
          onClick={() => !busy && void session.undoRestore(notebook)}
        >
          {session.undo.submissionId === null
            ? trans.__('Undo reset')
            : trans.__('Undo restore')}
        </button>
      )}
      {session.historyError && (
        <div
          className="jp-codequest-banner jp-codequest-tone-warn"
          role="alert"
        >
          <div className="jp-codequest-banner-message">
            {trans.__(
              'Could not load your submissions: %1',
              session.historyError
            )}
          </div>
        </div>
      )}
      {selected ? (
        <div className="jp-codequest-selected">
          <div className="jp-codequest-toolbar">
            <button
              ref={backButton}
              type="button"
              className="jp-mod-styled jp-codequest-button"
              onClick={() => void session.select(null)}
            >
              {trans.__('← All submissions')}
            </button>
            <button
              type="button"
              className="jp-mod-styled jp-mod-accept jp-codequest-button"
              // aria-disabled, not disabled: a disabled button drops the focus.
              aria-disabled={busy || !selected.result}
              onClick={() =>
                !busy &&
                selected.result &&
                void session.restore(selected.id, notebook)
              }
              title={trans.__(
                'Put this submission’s code back into the notebook'
              )}
            >
              {session.busy === 'restore'
                ? trans.__('Restoring…')
                : trans.__('Restore')}
            </button>
          </div>
          {selected.error && (
            <div
              className="jp-codequest-banner jp-codequest-tone-warn"
              role="alert"
            >
              <div className="jp-codequest-banner-message">
                {selected.error}
              </div>
            </div>
          )}
          {!selected.result && !selected.error && (
            <div className="jp-codequest-muted">{trans.__('Loading…')}</div>
          )}
          {selected.result && (
            <div className="jp-codequest-muted">
              {selected.result.mode === 'submit'
                ? trans.__(
                    'Submitted %1',
                    formatWhen(selected.result.submitted_at, trans)
                  )
                : trans.__(
                    'Tests run %1',
                    formatWhen(selected.result.submitted_at, trans)
                  )}
            </div>
          )}
          {selected.result && (
            <ResultView
              result={selected.result}
              limits={session.detail?.limits}
              onJumpToCell={cell => notebook.activateCell(cell)}
              trans={trans}
            />
          )}
        </div>
      ) : (
        <>
          <ScoreChart entries={entries} trans={trans} />
          {session.history === null && !session.historyError ? (
            <div className="jp-codequest-muted">{trans.__('Loading…')}</div>
          ) : (
            <HistoryList
              entries={entries}
              onSelect={id => void session.select(id)}
              trans={trans}
            />
          )}
          {session.historyTotal > entries.length && (
            <div className="jp-codequest-muted">
              {trans.__(
                'Showing the latest %1 of %2 submissions.',
                String(entries.length),
                String(session.historyTotal)
              )}
            </div>
          )}
          <div className="jp-codequest-start-over">
            <div className="jp-codequest-section-title">
              {trans.__('Start over')}
            </div>
            <p className="jp-codequest-muted">
              {trans.__(
                'Put the starter notebook and files of this challenge back. Your current version is kept as a checkpoint, so the reset can be undone.'
              )}
            </p>
            <button
              type="button"
              className="jp-mod-styled jp-mod-warn jp-codequest-button jp-codequest-reset"
              aria-disabled={busy}
              onClick={() => !busy && void session.reset(notebook)}
            >
              {session.busy === 'reset'
                ? trans.__('Resetting…')
                : trans.__('Reset to starter')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}

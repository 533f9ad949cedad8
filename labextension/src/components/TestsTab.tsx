/**
 * The Tests tab of the Tests panel: the run under way, the latest result
 * (or the one from before a reload), or the public tests to come; and the
 * hints below.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { formatWhen } from '../format';
import type { CodeQuestModel } from '../model';
import type { INotebookHandle } from '../notebook';
import { outputCapKb } from '../outcome';
import type { ChallengeSession } from '../session';
import { Celebration } from './Celebration';
import { MarkdownView } from './Markdown';
import { ProgressBar, ResultView } from './TestResults';
import { TestList, TestName } from './TestRow';

function Hints(props: {
  session: ChallengeSession;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { session, trans } = props;
  const detail = session.detail;
  if (!detail) {
    return null;
  }
  const unlocked = detail.hints.length;
  const locked = detail.locked_hints ?? 0;
  if (unlocked === 0 && locked === 0) {
    return null;
  }
  return (
    <section className="jp-codequest-hints" aria-label={trans.__('Hints')}>
      <div className="jp-codequest-section-title">{trans.__('Hints')}</div>
      <ol className="jp-codequest-hint-list">
        {detail.hints.slice(0, session.hintsShown).map((hint, index) => (
          <li key={index} className="jp-codequest-hint">
            <MarkdownView
              source={hint.text}
              rendermime={props.rendermime}
              trans={trans}
            />
          </li>
        ))}
      </ol>
      {session.hintsShown < unlocked && (
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button"
          onClick={() => session.showHint()}
        >
          {session.hintsShown === 0
            ? trans.__('Show hint')
            : trans.__('Show another hint')}
        </button>
      )}
      {locked > 0 && (
        <div className="jp-codequest-muted">
          {trans._n(
            '%1 more hint unlocks after more attempts.',
            '%1 more hints unlock after more attempts.',
            locked
          )}
        </div>
      )}
    </section>
  );
}

/** The Tests tab: the live run, the result, or the tests to come; then the hints. */
export function TestsTab(props: {
  session: ChallengeSession;
  notebook: INotebookHandle;
  model: CodeQuestModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  onOpenChallenge: (id: string) => void;
}): JSX.Element {
  const { session, notebook, trans } = props;
  const run = session.run;
  const detail = session.detail;
  const jump = (cell: number) => notebook.activateCell(cell);

  let body: JSX.Element;
  if (run && run.isActive) {
    body = (
      <>
        <ProgressBar
          phase={run.phase}
          completed={run.completed}
          total={run.total}
          mode={run.mode}
          waiting={run.waiting}
          trans={trans}
        />
        <TestList
          rows={run.rows}
          outputCapKb={outputCapKb(detail?.limits)}
          trans={trans}
        />
      </>
    );
  } else if (run && run.phase === 'failed') {
    body = (
      <div className="jp-codequest-banner jp-codequest-tone-warn" role="alert">
        <div className="jp-codequest-banner-title">
          {run.submissionId
            ? trans.__('Lost track of the submission')
            : trans.__('Could not start the tests')}
        </div>
        <div className="jp-codequest-banner-message">{run.error}</div>
      </div>
    );
  } else if (run && run.result) {
    body = (
      <>
        {session.celebrate && (
          <Celebration
            confetti={props.model.settings.confetti}
            fresh={session.confettiPending}
            onShown={() => session.confettiPlayed()}
            next={detail?.next ?? null}
            onNext={props.onOpenChallenge}
            onDismiss={() => session.dismissCelebration()}
            trans={trans}
          />
        )}
        <ResultView
          result={run.result}
          limits={detail?.limits}
          onJumpToCell={jump}
          trans={trans}
        />
      </>
    );
  } else if (!run && session.lastResult) {
    const last = session.lastResult;
    body = (
      <>
        <div className="jp-codequest-muted jp-codequest-last-result">
          {last.mode === 'submit'
            ? trans.__(
                'Your last submission, %1',
                formatWhen(last.submitted_at, trans)
              )
            : trans.__(
                'Your last test run, %1',
                formatWhen(last.submitted_at, trans)
              )}
        </div>
        <ResultView
          result={last}
          limits={detail?.limits}
          onJumpToCell={jump}
          trans={trans}
        />
      </>
    );
  } else {
    const publicTests = (detail?.public_tests ?? []).flatMap(file =>
      file.tests.map(name => ({ file: file.path, name }))
    );
    body = (
      <div className="jp-codequest-tests-intro">
        <p className="jp-codequest-muted">
          {trans.__(
            'Run tests checks your notebook against the public tests. Submit also runs the hidden tests and counts toward completing the challenge.'
          )}
        </p>
        {publicTests.length > 0 && (
          <>
            <div className="jp-codequest-section-title">
              {trans.__('Public tests')}
            </div>
            <ul className="jp-codequest-tests">
              {publicTests.map(test => (
                <li
                  key={`${test.file}::${test.name}`}
                  className="jp-codequest-test"
                >
                  <div className="jp-codequest-test-header">
                    <span className="jp-codequest-status" aria-hidden="true">
                      ○
                    </span>
                    <TestName name={test.name} />
                  </div>
                </li>
              ))}
            </ul>
          </>
        )}
        {detail && detail.hidden_tests > 0 && (
          <div className="jp-codequest-muted">
            {trans._n(
              'Submit also runs %1 hidden test file.',
              'Submit also runs %1 hidden test files.',
              detail.hidden_tests
            )}
          </div>
        )}
      </div>
    );
  }

  return (
    <>
      {body}
      <Hints session={session} rendermime={props.rendermime} trans={trans} />
    </>
  );
}

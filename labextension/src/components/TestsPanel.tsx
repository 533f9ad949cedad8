/**
 * The Tests panel: the challenge of the current notebook, its tests and
 * results, description, hints and history.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useRef } from 'react';

import { difficultyLabel, formatWhen, progressText } from '../format';
import { outputCapKb } from '../outcome';
import type { ChallengeSession, CodeQuestModel, PanelTab } from '../model';
import type { INotebookHandle } from '../notebook';
import { Celebration } from './Celebration';
import { HistoryTab } from './HistoryTab';
import { useSignals } from './hooks';
import { MarkdownView } from './Markdown';
import { Pre } from './Pre';
import { ServerNotice } from './ServerNotice';
import { ProgressBar, ResultView, TestList, TestName } from './TestResults';

export interface ITestsPanelProps {
  model: CodeQuestModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /** Open another challenge (the "Next challenge" button). */
  onOpenChallenge: (id: string) => void;
  /** Show the challenge browser. */
  onBrowse: () => void;
  /** Labels of the commands' key bindings, for tooltips. */
  shortcuts?: { run?: string; submit?: string };
}

function Tabs(props: {
  tab: PanelTab;
  onChange: (tab: PanelTab) => void;
  historyCount: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const tabs: { id: PanelTab; label: string }[] = [
    { id: 'tests', label: trans.__('Tests') },
    { id: 'description', label: trans.__('Description') },
    {
      id: 'history',
      label: props.historyCount
        ? trans.__('History (%1)', String(props.historyCount))
        : trans.__('History')
    }
  ];
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: React.KeyboardEvent, index: number) => {
    // Arrow keys move between tabs, as in any WAI-ARIA tab list.
    let next = -1;
    if (event.key === 'ArrowRight') {
      next = (index + 1) % tabs.length;
    } else if (event.key === 'ArrowLeft') {
      next = (index + tabs.length - 1) % tabs.length;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = tabs.length - 1;
    }
    if (next >= 0) {
      event.preventDefault();
      props.onChange(tabs[next].id);
      refs.current[next]?.focus();
    }
  };
  return (
    <div className="jp-codequest-tabs" role="tablist">
      {tabs.map((tab, index) => (
        <button
          key={tab.id}
          ref={el => {
            refs.current[index] = el;
          }}
          type="button"
          role="tab"
          id={`jp-codequest-tab-${tab.id}`}
          aria-selected={props.tab === tab.id}
          aria-controls="jp-codequest-tabpanel"
          tabIndex={props.tab === tab.id ? 0 : -1}
          className={
            'jp-codequest-tab' + (props.tab === tab.id ? ' jp-mod-active' : '')
          }
          onClick={() => props.onChange(tab.id)}
          onKeyDown={event => onKeyDown(event, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

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

function TestsTab(props: {
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
            ? trans.__('Your last submission, %1', formatWhen(last.submitted_at, trans))
            : trans.__('Your last test run, %1', formatWhen(last.submitted_at, trans))}
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

function DescriptionTab(props: {
  session: ChallengeSession;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { session, trans } = props;
  const detail = session.detail;
  if (!detail) {
    return <div className="jp-codequest-muted">{trans.__('Loading…')}</div>;
  }
  return (
    <div className="jp-codequest-description">
      <MarkdownView
        source={detail.description}
        rendermime={props.rendermime}
        trans={trans}
      />
      {detail.public_tests.length > 0 && (
        <section aria-label={trans.__('Public tests')}>
          <div className="jp-codequest-section-title">
            {trans.__('Public tests')}
          </div>
          {detail.public_tests.map(file => (
            <details key={file.path} className="jp-codequest-test-source">
              <summary>{file.path}</summary>
              <Pre label={file.path}>{file.source}</Pre>
            </details>
          ))}
        </section>
      )}
      {detail.limits && (
        <div className="jp-codequest-muted">
          {[
            detail.limits.timeout_s
              ? trans.__('%1 s per test', String(detail.limits.timeout_s))
              : null,
            detail.limits.memory_mb
              ? trans.__('%1 MB memory', String(detail.limits.memory_mb))
              : null
          ]
            .filter(Boolean)
            .join(' · ')}
        </div>
      )}
    </div>
  );
}

/** The whole Tests panel. */
export function TestsPanel(props: ITestsPanelProps): JSX.Element {
  const { model, trans } = props;
  const session = model.session;
  useSignals(model.changed, session?.changed);
  const notebook = model.current;

  if (!notebook || !session) {
    return (
      <div className="jp-codequest-panel">
        <ServerNotice
          server={model.server}
          onRetry={() => void model.checkServer()}
          trans={trans}
        />
        <div className="jp-codequest-empty">
          <p>
            {trans.__(
              'Open a challenge notebook to run its tests, read its description and see your submissions here.'
            )}
          </p>
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept jp-codequest-button"
            onClick={props.onBrowse}
          >
            {trans.__('Browse challenges')}
          </button>
        </div>
      </div>
    );
  }

  const detail = session.detail;
  const serverOk = model.server.state === 'ok';
  const running = session.isRunning;
  const runTitle = props.shortcuts?.run
    ? trans.__('Run the public tests (%1)', props.shortcuts.run)
    : trans.__('Run the public tests');
  const submitTitle = props.shortcuts?.submit
    ? trans.__('Run all tests, hidden ones included, and record the result (%1)', props.shortcuts.submit)
    : trans.__('Run all tests, hidden ones included, and record the result');

  return (
    <div className="jp-codequest-panel">
      <ServerNotice
        server={model.server}
        onRetry={() => void model.checkServer()}
        trans={trans}
      />
      <div className="jp-codequest-panel-header">
        <h2 className="jp-codequest-heading">{detail?.title ?? session.id}</h2>
        {detail && (
          <div className="jp-codequest-challenge-meta">
            <span
              className={`jp-codequest-difficulty jp-codequest-difficulty-${detail.difficulty}`}
            >
              {difficultyLabel(detail.difficulty, trans)}
            </span>
            <span className="jp-codequest-muted">
              {progressText(detail.progress, trans)}
            </span>
          </div>
        )}
        <div className="jp-codequest-muted jp-codequest-path" title={notebook.path}>
          {notebook.path}
        </div>
      </div>
      {notebook.readError && (
        <div className="jp-codequest-banner jp-codequest-tone-warn" role="alert">
          <div className="jp-codequest-banner-title">
            {trans.__(
              'Cannot read the notebook of %1',
              detail?.title ?? session.id
            )}
          </div>
          <div className="jp-codequest-banner-message">
            {trans.__(
              '%1 is not a notebook JupyterLab can open (%2). Fix the file in a text editor, or put the starter back: the file as it is now is kept as a checkpoint.',
              notebook.path,
              notebook.readError
            )}
          </div>
          <button
            type="button"
            className="jp-mod-styled jp-codequest-button"
            aria-disabled={session.busy !== null}
            onClick={() => session.busy === null && void session.reset(notebook)}
          >
            {trans.__('Reset to starter')}
          </button>
        </div>
      )}
      {session.detailError && (
        <div className="jp-codequest-banner jp-codequest-tone-warn" role="alert">
          <div className="jp-codequest-banner-message">
            {trans.__('Could not load the challenge: %1', session.detailError)}
          </div>
          <button
            type="button"
            className="jp-mod-styled jp-codequest-button"
            onClick={() => void session.load()}
          >
            {trans.__('Try again')}
          </button>
        </div>
      )}
      <div className="jp-codequest-actions">
        {/* While tests run the buttons are aria-disabled, not disabled, so
            the one pressed keeps the keyboard focus. */}
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button jp-codequest-run"
          disabled={!serverOk || !!notebook.readError}
          aria-disabled={running}
          title={runTitle}
          onClick={() => !running && void model.start('run', notebook)}
        >
          {trans.__('Run tests')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-codequest-button jp-codequest-submit"
          disabled={!serverOk || !!notebook.readError}
          aria-disabled={running}
          title={submitTitle}
          onClick={() => !running && void model.start('submit', notebook)}
        >
          {trans.__('Submit')}
        </button>
      </div>
      <Tabs
        tab={session.tab}
        onChange={tab => session.setTab(tab)}
        historyCount={session.historyTotal}
        trans={trans}
      />
      <div
        className="jp-codequest-tabpanel"
        id="jp-codequest-tabpanel"
        role="tabpanel"
        aria-labelledby={`jp-codequest-tab-${session.tab}`}
      >
        {session.tab === 'tests' && (
          <TestsTab
            session={session}
            notebook={notebook}
            model={model}
            rendermime={props.rendermime}
            trans={trans}
            onOpenChallenge={props.onOpenChallenge}
          />
        )}
        {session.tab === 'description' && (
          <DescriptionTab
            session={session}
            rendermime={props.rendermime}
            trans={trans}
          />
        )}
        {session.tab === 'history' && (
          <HistoryTab session={session} notebook={notebook} trans={trans} />
        )}
      </div>
    </div>
  );
}

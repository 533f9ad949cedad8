/**
 * The Tests panel: the challenge of the current notebook, its deadline and
 * submissions used, its tests and results, description, hints and history.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useRef } from 'react';

import { difficultyLabel, progressText } from '../format';
import type { CodeQuestModel } from '../model';
import type { ChallengeSession, PanelTab } from '../session';
import { blockedReasons } from '../schedule';
import { BlockedReason, ScheduleFacts, useScheduleClock } from './Deadline';
import { HistoryTab } from './HistoryTab';
import { useSignals } from './hooks';
import { MarkdownView } from './Markdown';
import { Pre } from './Pre';
import { ServerNotice } from './ServerNotice';
import { TestsTab } from './TestsTab';

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
  const detail = session?.detail ?? null;
  const now = useScheduleClock(detail ? [detail] : [], () => model.now());

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

  const serverOk = model.server.state === 'ok';
  const running = session.isRunning;
  // What the server would refuse now (it decides; this explains in advance).
  const blocked = detail
    ? blockedReasons(detail, trans, now)
    : { run: null, submit: null };
  const runBlocked = !!blocked.run;
  const submitBlocked = !!blocked.submit;
  const reasonId = 'jp-codequest-blocked-reason';
  const runTitle = props.shortcuts?.run
    ? trans.__('Run the public tests (%1)', props.shortcuts.run)
    : trans.__('Run the public tests');
  const submitTitle = props.shortcuts?.submit
    ? trans.__(
        'Run all tests, hidden ones included, and record the result (%1)',
        props.shortcuts.submit
      )
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
        <div
          className="jp-codequest-muted jp-codequest-path"
          title={notebook.path}
        >
          {notebook.path}
        </div>
        {detail && <ScheduleFacts schedule={detail} now={now} trans={trans} />}
      </div>
      {notebook.readError && (
        <div
          className="jp-codequest-banner jp-codequest-tone-warn"
          role="alert"
        >
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
            onClick={() =>
              session.busy === null && void session.reset(notebook)
            }
          >
            {trans.__('Reset to starter')}
          </button>
        </div>
      )}
      {session.detailError && (
        <div
          className="jp-codequest-banner jp-codequest-tone-warn"
          role="alert"
        >
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
        {/* While tests run, or while the server would refuse them, the
            buttons are aria-disabled, not disabled: the one pressed keeps
            the keyboard focus, and the reason stays reachable. */}
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button jp-codequest-run"
          disabled={!serverOk || !!notebook.readError}
          aria-disabled={running || runBlocked}
          aria-describedby={runBlocked ? reasonId : undefined}
          title={blocked.run ?? runTitle}
          onClick={() =>
            !running && !runBlocked && void model.start('run', notebook)
          }
        >
          {trans.__('Run tests')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-codequest-button jp-codequest-submit"
          disabled={!serverOk || !!notebook.readError}
          aria-disabled={running || submitBlocked}
          aria-describedby={submitBlocked ? reasonId : undefined}
          title={blocked.submit ?? submitTitle}
          onClick={() =>
            !running && !submitBlocked && void model.start('submit', notebook)
          }
        >
          {trans.__('Submit')}
        </button>
      </div>
      <BlockedReason id={reasonId} reason={blocked.submit ?? blocked.run} />
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

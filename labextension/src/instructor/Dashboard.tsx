/**
 * The instructors' dashboard: a toolbar (gradebook export, refresh) and
 * three tabs — the class matrix, one challenge's statistics, one learner's
 * attempts. Tabs follow the WAI-ARIA tabs pattern (arrow keys move).
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useRef, useState } from 'react';

import { useSignals } from '../components/hooks';
import { errorMessage } from '../errors';
import { AttemptsView } from './AttemptsView';
import { ChallengeView } from './ChallengeView';
import { ClassMatrix } from './ClassMatrix';
import type { DashboardModel, DashboardTab } from './model';

/** Save `text` as a file through the browser's download. */
export function download(text: string, filename: string, type: string): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function ExportButton(props: {
  model: DashboardModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [state, setState] = useState<string | null>(null);
  const exportCsv = async () => {
    setState(trans.__('Exporting…'));
    try {
      download(await model.client.gradebook(), 'gradebook.csv', 'text/csv');
      setState(trans.__('Gradebook downloaded.'));
    } catch (error) {
      setState(trans.__('Export failed: %1', errorMessage(error)));
    }
  };
  return (
    <>
      <button
        type="button"
        className="jp-codequest-button jp-codequest-export"
        onClick={() => void exportCsv()}
      >
        {trans.__('Export gradebook (CSV)')}
      </button>
      <span role="status" className="jp-codequest-muted">
        {state ?? ''}
      </span>
    </>
  );
}

export function Dashboard(props: {
  model: DashboardModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, rendermime, trans } = props;
  useSignals(model.changed);
  const tabs: [DashboardTab, string][] = [
    ['class', trans.__('Class')],
    ['challenge', trans.__('Challenge')],
    ['learner', trans.__('Attempts')]
  ];
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const choose = (tab: DashboardTab) => {
    if (
      tab === 'challenge' &&
      !model.challenge &&
      model.matrix?.challenges[0]
    ) {
      void model.openChallenge(model.matrix.challenges[0]);
    } else if (
      tab === 'learner' &&
      !model.learner &&
      model.matrix?.learners[0]
    ) {
      void model.openLearner(model.matrix.learners[0]);
    } else {
      model.setTab(tab);
    }
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    const index = tabs.findIndex(([t]) => t === model.tab);
    const step =
      event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step) {
      event.preventDefault();
      const [next] = tabs[(index + step + tabs.length) % tabs.length];
      choose(next);
      refs.current[next]?.focus();
    }
  };
  return (
    <div className="jp-codequest-dashboard">
      <header className="jp-codequest-dashboard-header">
        <h2 className="jp-codequest-heading">
          {trans.__('CodeQuest class dashboard')}
        </h2>
        <div className="jp-codequest-toolbar">
          <ExportButton model={model} trans={trans} />
          <button
            type="button"
            className="jp-codequest-button"
            onClick={() => void model.refresh()}
          >
            {trans.__('Refresh')}
          </button>
          <span className="jp-codequest-muted">
            {model.updatedAt
              ? trans.__('Updated %1', model.updatedAt.toLocaleTimeString())
              : ''}
          </span>
        </div>
      </header>
      <div
        role="tablist"
        aria-label={trans.__('Dashboard views')}
        className="jp-codequest-tabs"
        onKeyDown={onKeyDown}
      >
        {tabs.map(([tab, label]) => (
          <button
            key={tab}
            ref={node => (refs.current[tab] = node)}
            type="button"
            role="tab"
            id={`jp-codequest-dashboard-tab-${tab}`}
            aria-selected={model.tab === tab}
            aria-controls={`jp-codequest-dashboard-panel-${tab}`}
            tabIndex={model.tab === tab ? 0 : -1}
            className="jp-codequest-tab"
            onClick={() => choose(tab)}
          >
            {tab === 'challenge' && model.challenge
              ? `${label}: ${model.challenge}`
              : tab === 'learner' && model.learner
                ? `${label}: ${model.learner}`
                : label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`jp-codequest-dashboard-panel-${model.tab}`}
        aria-labelledby={`jp-codequest-dashboard-tab-${model.tab}`}
        className="jp-codequest-dashboard-panel"
      >
        {model.tab === 'class' && <ClassMatrix model={model} trans={trans} />}
        {model.tab === 'challenge' && (
          <ChallengeView model={model} rendermime={rendermime} trans={trans} />
        )}
        {model.tab === 'learner' && (
          <AttemptsView model={model} trans={trans} />
        )}
      </div>
    </div>
  );
}

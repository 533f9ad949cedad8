/**
 * One challenge: score distribution, per-test failure rates with the most
 * common failure messages, submissions over time (Vega-Lite charts, each
 * with its data as a table), and the regrade controls with their progress.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { useSignals } from '../components/hooks';
import React, { useMemo, useState } from 'react';

import { failureSpec, perDaySpec, scoreSpec } from './charts';
import { formatNumber } from './matrix';
import type { DashboardModel } from './model';
import type { IChallengeStats } from './types';
import { VegaChart } from './VegaChart';

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

function Charts(props: {
  stats: IChallengeStats;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { stats, rendermime, trans } = props;
  const specs = useMemo(
    () => ({
      score: scoreSpec(stats, trans),
      failures: failureSpec(stats, trans),
      perDay: perDaySpec(stats, trans)
    }),
    [stats, trans]
  );
  const worst = [...stats.tests].sort(
    (a, b) => b.failure_rate - a.failure_rate
  );
  return (
    <div className="jp-codequest-charts">
      <section aria-labelledby="jp-codequest-score-heading">
        <h3 id="jp-codequest-score-heading">
          {trans.__('Score distribution')}
        </h3>
        <VegaChart
          rendermime={rendermime}
          spec={specs.score}
          label={trans.__('Learners by best points (chart)')}
          trans={trans}
        />
        <table className="jp-codequest-table jp-codequest-data-table">
          <caption>{trans.__('Learners by best points')}</caption>
          <thead>
            <tr>
              <th scope="col">{trans.__('Best points')}</th>
              <th scope="col">{trans.__('Learners')}</th>
            </tr>
          </thead>
          <tbody>
            {stats.score_distribution.map(bin => (
              <tr key={bin.from}>
                <th scope="row">
                  {formatNumber(bin.from)}–{formatNumber(bin.to)}
                </th>
                <td className="jp-codequest-number">{bin.learners}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section
        aria-labelledby="jp-codequest-failures-heading"
        className="jp-codequest-wide"
      >
        <h3 id="jp-codequest-failures-heading">
          {trans.__('Which test fails most, and why')}
        </h3>
        <VegaChart
          rendermime={rendermime}
          spec={specs.failures}
          label={trans.__('Failure rate per test (chart)')}
          trans={trans}
        />
        <table className="jp-codequest-table jp-codequest-data-table jp-codequest-failures">
          <caption>
            {trans.__('Failure rate per test, the worst first')}
          </caption>
          <thead>
            <tr>
              <th scope="col">{trans.__('Test')}</th>
              <th scope="col">{trans.__('Failed')}</th>
              <th scope="col">{trans.__('Most common failures')}</th>
            </tr>
          </thead>
          <tbody>
            {worst.map(test => (
              <tr key={test.id} data-test-id={test.id}>
                <th scope="row">
                  {test.name}
                  {test.hidden && (
                    <span className="jp-codequest-tag">
                      {trans.__('hidden')}
                    </span>
                  )}
                </th>
                <td className="jp-codequest-number">
                  {trans.__(
                    '%1 (%2 of %3)',
                    percent(test.failure_rate),
                    test.failures,
                    test.runs
                  )}
                </td>
                <td>
                  {test.common_failures.length ? (
                    <ul className="jp-codequest-messages">
                      {test.common_failures.map(f => (
                        <li key={f.message}>
                          <code>{f.message}</code>{' '}
                          <span className="jp-codequest-muted">×{f.count}</span>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="jp-codequest-muted">
                      {trans.__('none')}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="jp-codequest-days-heading">
        <h3 id="jp-codequest-days-heading">
          {trans.__('Submissions over time')}
        </h3>
        <VegaChart
          rendermime={rendermime}
          spec={specs.perDay}
          label={trans.__('Submissions per day (chart)')}
          trans={trans}
        />
        <table className="jp-codequest-table jp-codequest-data-table">
          <caption>{trans.__('Submissions per day')}</caption>
          <thead>
            <tr>
              <th scope="col">{trans.__('Day')}</th>
              <th scope="col">{trans.__('Submissions')}</th>
            </tr>
          </thead>
          <tbody>
            {stats.submissions_per_day.map(d => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td className="jp-codequest-number">{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

/** Regrade all / the latest per learner / one learner's, with progress. */
export function RegradeControls(props: {
  model: DashboardModel;
  challenge: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, challenge, trans } = props;
  const learners = model.matrix?.learners ?? [];
  const [learner, setLearner] = useState('');
  const job = model.regradeJob;
  const busy = model.regrading;
  const run = (request: { learner?: string; latest?: boolean }) =>
    void model.regrade({ challenge, ...request });
  return (
    <section
      className="jp-codequest-regrade"
      aria-labelledby="jp-codequest-regrade-heading"
    >
      <h3 id="jp-codequest-regrade-heading">{trans.__('Regrade')}</h3>
      <p className="jp-codequest-muted">
        {trans.__(
          'Grade stored submissions again against the challenge as it is now; the old results are kept.'
        )}
      </p>
      <div className="jp-codequest-toolbar">
        <button
          type="button"
          className="jp-codequest-button"
          disabled={busy}
          onClick={() => run({})}
        >
          {trans.__('Regrade all')}
        </button>
        <button
          type="button"
          className="jp-codequest-button"
          disabled={busy}
          onClick={() => run({ latest: true })}
        >
          {trans.__('Regrade latest per learner')}
        </button>
        <select
          className="jp-codequest-select jp-codequest-regrade-learner"
          aria-label={trans.__('Learner to regrade')}
          value={learner}
          onChange={event => setLearner(event.target.value)}
        >
          <option value="">{trans.__('Choose a learner…')}</option>
          {learners.map(l => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="jp-codequest-button"
          disabled={busy || !learner}
          onClick={() => run({ learner })}
        >
          {trans.__("Regrade this learner's")}
        </button>
      </div>
      {job && job.challenge === challenge && (
        <div className="jp-codequest-regrade-progress">
          <progress
            max={Math.max(job.total, 1)}
            value={job.status === 'running' ? job.done : Math.max(job.total, 1)}
            aria-label={trans.__('Regrade progress')}
          />
          <span
            role="status"
            aria-live="polite"
            className="jp-codequest-regrade-status"
          >
            {job.status === 'running'
              ? trans.__('Regrading: %1 of %2 done', job.done, job.total)
              : job.status === 'finished'
                ? [
                    trans.__(
                      'Regrade done: %1 of %2 regraded, %3 changed',
                      job.done - (job.failed ?? 0),
                      job.total,
                      job.changed
                    ),
                    job.error
                  ]
                    .filter(Boolean)
                    .join('. ')
                : trans.__('Regrade failed: %1', job.error ?? '')}
          </span>
        </div>
      )}
      {model.regradeError && (
        <p role="alert" className="jp-codequest-tone-fail">
          {model.regradeError}
        </p>
      )}
    </section>
  );
}

export function ChallengeView(props: {
  model: DashboardModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, rendermime, trans } = props;
  useSignals(model.changed);
  const challenges = model.matrix?.challenges ?? [];
  const stats = model.stats;
  return (
    <div className="jp-codequest-challenge-view">
      <div className="jp-codequest-filter-row">
        <select
          className="jp-codequest-select"
          aria-label={trans.__('Challenge')}
          value={model.challenge}
          onChange={event => void model.openChallenge(event.target.value)}
        >
          {!model.challenge && (
            <option value="">{trans.__('Choose a challenge…')}</option>
          )}
          {challenges.map(c => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      {model.statsError && (
        <p role="alert" className="jp-codequest-tone-fail">
          {model.statsError}
        </p>
      )}
      {model.challenge && !stats && !model.statsError && (
        <p className="jp-codequest-muted" role="status">
          {trans.__('Loading the statistics…')}
        </p>
      )}
      {stats && (
        <>
          <p className="jp-codequest-summary">
            {trans.__(
              '%1 submissions by %2 learners; %3 passed, %4 failed, %5 errors.',
              stats.submissions,
              stats.learners,
              stats.statuses.passed ?? 0,
              stats.statuses.failed ?? 0,
              stats.statuses.error ?? 0
            )}
          </p>
          <RegradeControls
            model={model}
            challenge={stats.challenge}
            trans={trans}
          />
          <Charts stats={stats} rendermime={rendermime} trans={trans} />
        </>
      )}
    </div>
  );
}

/**
 * One learner's attempts at a challenge: the list, one attempt's code and
 * results side by side (hidden tests' details included: instructors see
 * what learners do not), and the difference between any two attempts.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import { useSignals } from '../components/hooks';
import React, { useMemo } from 'react';

import { formatTime } from './format';
import { formatNumber } from './matrix';
import type { DashboardModel, IAttempt } from './model';
import { diffTexts } from './snapshot';
import type { ITestResult } from '../tokens';

function attemptLabel(
  index: number,
  count: number,
  submittedAt: string,
  trans: TranslationBundle
): string {
  return trans.__('#%1 — %2', count - index, formatTime(submittedAt));
}

function TestRow(props: {
  test: ITestResult;
  trans: TranslationBundle;
}): JSX.Element {
  const { test, trans } = props;
  const passed = test.status === 'passed';
  const details: [string, string | null | undefined][] = [
    [trans.__('Message'), test.message],
    [trans.__('Expected'), test.expected],
    [trans.__('Actual'), test.actual],
    [trans.__('Traceback'), (test as { traceback?: string | null }).traceback],
    [trans.__('Output'), test.output]
  ];
  return (
    <li className="jp-codequest-attempt-test" data-test-id={test.id}>
      <div>
        <span className={`jp-codequest-tone-${passed ? 'pass' : 'fail'}`}>
          {passed ? '✓' : '✗'} {test.status}
        </span>{' '}
        <strong>{test.name}</strong>
        {test.hidden && (
          <span className="jp-codequest-tag">{trans.__('hidden')}</span>
        )}{' '}
        <span className="jp-codequest-muted">
          {trans.__(
            '%1 / %2 points',
            formatNumber(test.points ?? 0),
            formatNumber(test.max_points ?? 1)
          )}
        </span>
      </div>
      {details
        .filter(([, value]) => !!value)
        .map(([label, value]) => (
          <div key={label} className="jp-codequest-attempt-detail">
            <span className="jp-codequest-muted">{label}</span>
            <pre className="jp-codequest-pre">{value}</pre>
          </div>
        ))}
    </li>
  );
}

function AttemptDetail(props: {
  attempt: IAttempt | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { attempt, trans } = props;
  if (!attempt) {
    return (
      <p className="jp-codequest-muted">{trans.__('Loading the attempt…')}</p>
    );
  }
  const { result, code } = attempt;
  return (
    <div className="jp-codequest-side-by-side">
      <section
        aria-label={trans.__('Code')}
        className="jp-codequest-attempt-code"
      >
        <h4>{trans.__('Code')}</h4>
        <pre className="jp-codequest-pre" tabIndex={0}>
          {code || trans.__('(no code stored)')}
        </pre>
      </section>
      <section
        aria-label={trans.__('Results')}
        className="jp-codequest-attempt-results"
      >
        <h4>
          {trans.__(
            'Results: %1, %2 / %3 points',
            result.status,
            formatNumber(result.points),
            formatNumber(result.max_points)
          )}
        </h4>
        {result.error && (
          <pre className="jp-codequest-pre jp-codequest-tone-fail">
            {result.error.message}
          </pre>
        )}
        <ul className="jp-codequest-attempt-tests">
          {(result.tests ?? []).map(test => (
            <TestRow key={test.id} test={test} trans={trans} />
          ))}
        </ul>
      </section>
    </div>
  );
}

function AttemptDiff(props: {
  older: IAttempt;
  newer: IAttempt;
  trans: TranslationBundle;
}): JSX.Element {
  const { older, newer, trans } = props;
  const diff = useMemo(() => diffTexts(older.code, newer.code), [older, newer]);
  return (
    <section
      className="jp-codequest-attempt-diff"
      aria-labelledby="jp-codequest-attempt-diff-heading"
    >
      <h4 id="jp-codequest-attempt-diff-heading">
        {trans.__(
          'Difference: %1 lines added, %2 removed',
          diff.added,
          diff.removed
        )}
      </h4>
      {diff.hunks.length === 0 ? (
        <p>{trans.__('The two attempts have the same code.')}</p>
      ) : (
        <pre
          className="jp-codequest-pre jp-codequest-attempt-diff-text"
          tabIndex={0}
        >
          {diff.hunks.map((hunk, h) => (
            <React.Fragment key={h}>
              <span className="jp-codequest-attempt-diff-hunk">
                {hunk.header + '\n'}
              </span>
              {hunk.lines.map((line, i) => (
                <span
                  key={i}
                  className={`jp-codequest-attempt-diff-line jp-codequest-attempt-diff-${line.kind}`}
                >
                  {line.kind === 'added' ? (
                    <ins>{'+ ' + line.text}</ins>
                  ) : line.kind === 'removed' ? (
                    <del>{'- ' + line.text}</del>
                  ) : (
                    '  ' + line.text
                  )}
                  {'\n'}
                </span>
              ))}
            </React.Fragment>
          ))}
        </pre>
      )}
    </section>
  );
}

export function AttemptsView(props: {
  model: DashboardModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.changed);
  const learners = model.matrix?.learners ?? [];
  const challenges = model.matrix?.challenges ?? [];
  const attempts = model.attempts;
  const selected = model.loaded(model.selected);
  const compared = model.loaded(model.compared);
  const order = (id: string | null) => attempts.findIndex(a => a.id === id);
  // The diff reads from the older attempt to the newer (the list is newest first).
  const [older, newer] =
    order(model.selected) > order(model.compared)
      ? [selected, compared]
      : [compared, selected];
  return (
    <div className="jp-codequest-attempts">
      <div className="jp-codequest-filter-row">
        <select
          className="jp-codequest-select"
          aria-label={trans.__('Learner')}
          value={model.learner}
          onChange={event =>
            void model.openLearner(event.target.value, model.learnerChallenge)
          }
        >
          {!model.learner && (
            <option value="">{trans.__('Choose a learner…')}</option>
          )}
          {learners.map(l => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <select
          className="jp-codequest-select"
          aria-label={trans.__('Challenge')}
          value={model.learnerChallenge}
          onChange={event =>
            void model.openLearner(model.learner, event.target.value)
          }
        >
          {challenges.map(c => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      {model.attemptsError && (
        <p role="alert" className="jp-codequest-tone-fail">
          {model.attemptsError}
        </p>
      )}
      {model.learner && attempts.length === 0 && !model.attemptsError && (
        <p className="jp-codequest-muted">
          {trans.__(
            'No submissions of %1 by %2.',
            model.learnerChallenge,
            model.learner
          )}
        </p>
      )}
      {attempts.length > 0 && (
        <>
          <table className="jp-codequest-table jp-codequest-attempt-list">
            <caption>
              {trans.__(
                "%1's attempts at %2, newest first",
                model.learner,
                model.learnerChallenge
              )}
            </caption>
            <thead>
              <tr>
                <th scope="col">{trans.__('Attempt')}</th>
                <th scope="col">{trans.__('Result')}</th>
                <th scope="col">{trans.__('Show')}</th>
                <th scope="col">{trans.__('Compare with')}</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a, i) => {
                const name = attemptLabel(
                  i,
                  attempts.length,
                  a.submitted_at,
                  trans
                );
                return (
                  <tr key={a.id} data-submission-id={a.id}>
                    <th scope="row">
                      {name}
                      {(a as { late?: boolean }).late && (
                        <span className="jp-codequest-late">
                          {trans.__('late')}
                        </span>
                      )}
                    </th>
                    <td>
                      {trans.__(
                        '%1, %2 / %3',
                        a.status,
                        formatNumber(a.points),
                        formatNumber(a.max_points)
                      )}
                    </td>
                    <td>
                      <input
                        type="radio"
                        name="jp-codequest-shown-attempt"
                        aria-label={trans.__('Show attempt %1', name)}
                        checked={model.selected === a.id}
                        onChange={() => void model.select(a.id, 'selected')}
                      />
                    </td>
                    <td>
                      <input
                        type="radio"
                        name="jp-codequest-compared-attempt"
                        aria-label={trans.__('Compare with attempt %1', name)}
                        checked={model.compared === a.id}
                        onChange={() => void model.select(a.id, 'compared')}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {older && newer && model.selected !== model.compared && (
            <AttemptDiff older={older} newer={newer} trans={trans} />
          )}
          <AttemptDetail attempt={selected} trans={trans} />
        </>
      )}
    </div>
  );
}

/**
 * The challenge browser: every challenge with its difficulty, tags,
 * estimated time, this learner's status, its deadline and submissions used,
 * filtered by text, difficulty and status.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useCallback, useEffect, useMemo, useState } from 'react';

import { errorMessage } from '../errors';
import { difficultyLabel, progressText } from '../format';
import type { CodeQuestModel } from '../model';
import type { IChallengeSummary, ProgressStatus } from '../tokens';
import { DeadlineLine, useScheduleClock } from './Deadline';
import { useSignals } from './hooks';
import { ServerNotice } from './ServerNotice';

export interface IChallengeFilter {
  text: string;
  difficulty: 'all' | string;
  status: 'all' | ProgressStatus;
}

export const EMPTY_FILTER: IChallengeFilter = {
  text: '',
  difficulty: 'all',
  status: 'all'
};

/**
 * The challenges matching a filter. Text matches the title, id and tags,
 * case-insensitively; every word must match.
 */
export function filterChallenges(
  challenges: ReadonlyArray<IChallengeSummary>,
  filter: IChallengeFilter
): IChallengeSummary[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return challenges.filter(challenge => {
    if (
      filter.difficulty !== 'all' &&
      challenge.difficulty !== filter.difficulty
    ) {
      return false;
    }
    const status = challenge.progress?.status ?? 'not_started';
    if (filter.status !== 'all' && status !== filter.status) {
      return false;
    }
    if (words.length === 0) {
      return true;
    }
    const haystack = [challenge.title, challenge.id, ...(challenge.tags ?? [])]
      .join(' ')
      .toLowerCase();
    return words.every(word => haystack.includes(word));
  });
}

function StatusBadge(props: {
  challenge: IChallengeSummary;
  trans: TranslationBundle;
}): JSX.Element {
  const progress = props.challenge.progress;
  const status = progress?.status ?? 'not_started';
  const glyph =
    status === 'completed' ? '✓' : status === 'attempted' ? '◐' : '○';
  return (
    <span
      className={`jp-codequest-progress-badge jp-codequest-progress-${status}`}
    >
      <span aria-hidden="true">{glyph} </span>
      {progressText(progress, props.trans)}
    </span>
  );
}

function ChallengeItem(props: {
  challenge: IChallengeSummary;
  opening: boolean;
  onOpen: (id: string) => void;
  now: Date;
  trans: TranslationBundle;
}): JSX.Element {
  const { challenge, trans } = props;
  const minutes = challenge.estimated_minutes;
  return (
    <li className="jp-codequest-challenge" data-challenge-id={challenge.id}>
      <button
        type="button"
        className="jp-codequest-challenge-button"
        onClick={() => props.onOpen(challenge.id)}
        disabled={props.opening}
        aria-busy={props.opening || undefined}
      >
        <span className="jp-codequest-challenge-top">
          <span className="jp-codequest-challenge-title">
            {challenge.title}
          </span>
          <StatusBadge challenge={challenge} trans={trans} />
        </span>
        <span className="jp-codequest-challenge-meta">
          <span
            className={`jp-codequest-difficulty jp-codequest-difficulty-${challenge.difficulty}`}
          >
            {difficultyLabel(challenge.difficulty, trans)}
          </span>
          {minutes ? (
            <span className="jp-codequest-minutes">
              {trans.__('%1 min', String(minutes))}
            </span>
          ) : null}
          {(challenge.tags ?? []).map(tag => (
            <span key={tag} className="jp-codequest-tag">
              {tag}
            </span>
          ))}
        </span>
        <DeadlineLine schedule={challenge} now={props.now} trans={trans} />
        {props.opening && (
          <span className="jp-codequest-muted">{trans.__('Opening…')}</span>
        )}
      </button>
    </li>
  );
}

/** The browser's content: filters and the list. */
export function ChallengeBrowser(props: {
  model: CodeQuestModel;
  /** Copy the starter if needed, then open the notebook. */
  onOpen: (id: string) => Promise<void>;
  trans: TranslationBundle;
  /** Open the instructors' dashboard (its button shows for instructors only). */
  onOpenDashboard?: () => void;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.changed);
  const [challenges, setChallenges] = useState<IChallengeSummary[] | null>(
    null
  );
  const [loadError, setLoadError] = useState<string | null>(null);
  const [filter, setFilter] = useState<IChallengeFilter>(EMPTY_FILTER);
  const [opening, setOpening] = useState<string | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const serverOk = model.server.state === 'ok';
  const now = useScheduleClock(challenges ?? [], () => model.now());

  const load = useCallback(async () => {
    try {
      setChallenges(await model.client.listChallenges());
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, [model]);

  useEffect(() => {
    if (serverOk) {
      void load();
    }
  }, [serverOk, load]);

  useEffect(() => {
    // A graded submission changes this learner's status and best score.
    const refresh = () => void load();
    model.submissionFinished.connect(refresh);
    model.refreshed.connect(refresh);
    return () => {
      model.submissionFinished.disconnect(refresh);
      model.refreshed.disconnect(refresh);
    };
  }, [model, load]);

  const visible = useMemo(
    () => filterChallenges(challenges ?? [], filter),
    [challenges, filter]
  );
  const difficulties = useMemo(() => {
    const seen = new Set((challenges ?? []).map(c => c.difficulty));
    const ordered = ['easy', 'medium', 'hard'].filter(d => seen.has(d));
    return ordered.concat([...seen].filter(d => !ordered.includes(d)).sort());
  }, [challenges]);

  const open = async (id: string) => {
    setOpening(id);
    setOpenError(null);
    try {
      await props.onOpen(id);
    } catch (error) {
      setOpenError(errorMessage(error));
    } finally {
      setOpening(null);
    }
  };

  const completed = (challenges ?? []).filter(
    c => c.progress?.status === 'completed'
  ).length;

  return (
    <div className="jp-codequest-browser">
      <div className="jp-codequest-browser-header">
        <h2 className="jp-codequest-heading">{trans.__('Challenges')}</h2>
        <button
          type="button"
          className="jp-codequest-icon-button"
          onClick={() => void model.refresh()}
          aria-label={trans.__('Refresh the challenge list')}
          title={trans.__('Refresh')}
        >
          ⟳
        </button>
      </div>
      {props.onOpenDashboard &&
        model.server.state === 'ok' &&
        model.server.info.instructor && (
          <button
            type="button"
            className="jp-codequest-button jp-codequest-dashboard-button"
            onClick={props.onOpenDashboard}
          >
            {trans.__('Class dashboard')}
          </button>
        )}
      <ServerNotice
        server={model.server}
        onRetry={() => void model.checkServer()}
        trans={trans}
      />
      {serverOk && (
        <>
          <div
            className="jp-codequest-filters"
            role="search"
            aria-label={trans.__('Filter challenges')}
          >
            <input
              type="search"
              className="jp-codequest-input"
              placeholder={trans.__('Filter by title or tag')}
              aria-label={trans.__('Filter by title or tag')}
              value={filter.text}
              onChange={event =>
                setFilter({ ...filter, text: event.target.value })
              }
            />
            <div className="jp-codequest-filter-row">
              <select
                className="jp-codequest-select"
                aria-label={trans.__('Difficulty')}
                value={filter.difficulty}
                onChange={event =>
                  setFilter({ ...filter, difficulty: event.target.value })
                }
              >
                <option value="all">{trans.__('Any difficulty')}</option>
                {difficulties.map(d => (
                  <option key={d} value={d}>
                    {difficultyLabel(d, trans)}
                  </option>
                ))}
              </select>
              <select
                className="jp-codequest-select"
                aria-label={trans.__('Status')}
                value={filter.status}
                onChange={event =>
                  setFilter({
                    ...filter,
                    status: event.target.value as IChallengeFilter['status']
                  })
                }
              >
                <option value="all">{trans.__('Any status')}</option>
                <option value="not_started">{trans.__('Not started')}</option>
                <option value="attempted">{trans.__('Attempted')}</option>
                <option value="completed">{trans.__('Completed')}</option>
              </select>
            </div>
          </div>
          {loadError && (
            <div
              className="jp-codequest-banner jp-codequest-tone-warn"
              role="alert"
            >
              <div className="jp-codequest-banner-message">
                {trans.__('Could not load the challenges: %1', loadError)}
              </div>
            </div>
          )}
          {openError && (
            <div
              className="jp-codequest-banner jp-codequest-tone-warn"
              role="alert"
            >
              <div className="jp-codequest-banner-message">
                {trans.__('Could not open the challenge: %1', openError)}
              </div>
            </div>
          )}
          {challenges === null && !loadError && (
            <div className="jp-codequest-muted">{trans.__('Loading…')}</div>
          )}
          {challenges !== null && (
            <>
              <div
                className="jp-codequest-muted jp-codequest-count"
                aria-live="polite"
              >
                {trans.__(
                  '%1 of %2 challenges · %3 completed',
                  String(visible.length),
                  String(challenges.length),
                  String(completed)
                )}
              </div>
              {visible.length === 0 ? (
                <div className="jp-codequest-muted">
                  {challenges.length === 0
                    ? trans.__('No challenges are installed.')
                    : trans.__('No challenge matches the filter.')}
                </div>
              ) : (
                <ul
                  className="jp-codequest-challenges"
                  aria-label={trans.__('Challenges')}
                >
                  {visible.map(challenge => (
                    <ChallengeItem
                      key={challenge.id}
                      challenge={challenge}
                      opening={opening === challenge.id}
                      onOpen={id => void open(id)}
                      now={now}
                      trans={trans}
                    />
                  ))}
                </ul>
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}

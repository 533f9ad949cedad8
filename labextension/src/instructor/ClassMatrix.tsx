/**
 * The class at a glance: learners × challenges (best points, attempts, last
 * activity, late), searchable, filterable and sortable from the keyboard
 * (each column header is a button; `aria-sort` says the order).
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import { useSignals } from '../components/hooks';
import React from 'react';

import { formatTime } from './format';
import {
  columns,
  ILearnerRow,
  pointsText,
  RowFilter,
  visibleRows
} from './matrix';
import type { DashboardModel } from './model';
import type { IClassCell } from './types';

function SortHeader(props: {
  model: DashboardModel;
  sortKey: string;
  label: string;
  description: string;
  /** A challenge's column: a second button opens its statistics. */
  statsLabel?: string;
  statsText?: string;
}): JSX.Element {
  const { model, sortKey, label, description, statsLabel } = props;
  const { sort, descending } = model.view;
  const active = sort === sortKey;
  return (
    <th
      scope="col"
      aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        className="jp-codequest-sort"
        onClick={() => model.sortBy(sortKey)}
        title={description}
        data-sort-key={sortKey}
      >
        {label}
        <span aria-hidden="true" className="jp-codequest-sort-mark">
          {active ? (descending ? ' ▼' : ' ▲') : ''}
        </span>
      </button>
      {statsLabel && (
        <button
          type="button"
          className="jp-codequest-icon-button jp-codequest-stats-button"
          aria-label={statsLabel}
          title={statsLabel}
          onClick={() => void model.openChallenge(sortKey)}
        >
          {props.statsText}
        </button>
      )}
    </th>
  );
}

function Cell(props: {
  cell: IClassCell | undefined;
  learner: string;
  challenge: string;
  model: DashboardModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { cell, learner, challenge, model, trans } = props;
  if (!cell) {
    return (
      <td className="jp-codequest-cell-empty">
        <span className="jp-codequest-muted">{trans.__('no submission')}</span>
      </td>
    );
  }
  const tone = cell.passed ? 'pass' : 'fail';
  return (
    <td
      className={`jp-codequest-cell jp-codequest-cell-${tone}`}
      data-challenge={challenge}
    >
      <button
        type="button"
        className="jp-codequest-cell-button"
        title={trans.__("Open %1's attempts at %2", learner, challenge)}
        onClick={() => void model.openLearner(learner, challenge)}
      >
        <span className={`jp-codequest-points jp-codequest-tone-${tone}`}>
          <span aria-hidden="true">{cell.passed ? '✓ ' : '✗ '}</span>
          <span className="jp-codequest-sr-only">
            {cell.passed ? trans.__('passed, ') : trans.__('not passed, ')}
          </span>
          {pointsText(cell)}
        </span>
        <span className="jp-codequest-cell-meta">
          {trans._n('%1 attempt', '%1 attempts', cell.attempts)}
          {cell.late && (
            <span className="jp-codequest-late">{trans.__('late')}</span>
          )}
        </span>
        <span className="jp-codequest-cell-meta">
          {formatTime(cell.last_submitted_at)}
        </span>
      </button>
    </td>
  );
}

function Row(props: {
  row: ILearnerRow;
  shown: string[];
  model: DashboardModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { row, shown, model, trans } = props;
  return (
    <tr data-learner={row.learner}>
      <th scope="row">
        <button
          type="button"
          className="jp-codequest-link jp-codequest-learner-link"
          onClick={() => void model.openLearner(row.learner)}
          aria-label={trans.__("Open %1's attempts", row.learner)}
        >
          {row.learner}
        </button>
      </th>
      {shown.map(challenge => (
        <Cell
          key={challenge}
          cell={row.cells[challenge]}
          learner={row.learner}
          challenge={challenge}
          model={model}
          trans={trans}
        />
      ))}
      <td className="jp-codequest-number">{row.total}</td>
      <td>{formatTime(row.lastActivity || null)}</td>
    </tr>
  );
}

export function ClassMatrix(props: {
  model: DashboardModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.changed);
  const matrix = model.matrix;
  if (!matrix) {
    return (
      <p className="jp-codequest-muted" role="status">
        {model.matrixError ?? trans.__('Loading the class…')}
      </p>
    );
  }
  const shown = columns(matrix, model.view);
  const rows = visibleRows(matrix, model.view);
  const filters: [RowFilter, string][] = [
    ['all', trans.__('All learners')],
    ['passed', trans.__('Passed')],
    ['unpassed', trans.__('Not passed yet')],
    ['late', trans.__('Late work')],
    ['missing', trans.__('Missing submissions')]
  ];
  return (
    <div className="jp-codequest-matrix">
      <div
        className="jp-codequest-filter-row jp-codequest-matrix-filters"
        role="search"
        aria-label={trans.__('Filter the class')}
      >
        <input
          type="search"
          className="jp-codequest-input jp-codequest-matrix-search"
          placeholder={trans.__('Search learners')}
          aria-label={trans.__('Search learners')}
          value={model.view.search}
          onChange={event => model.setView({ search: event.target.value })}
        />
        <select
          className="jp-codequest-select"
          aria-label={trans.__('Show learners')}
          value={model.view.filter}
          onChange={event =>
            model.setView({ filter: event.target.value as RowFilter })
          }
        >
          {filters.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <select
          className="jp-codequest-select"
          aria-label={trans.__('Challenge column')}
          value={model.view.challenge}
          onChange={event => model.setView({ challenge: event.target.value })}
        >
          <option value="">{trans.__('All challenges')}</option>
          {matrix.challenges.map(c => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <p className="jp-codequest-muted" role="status" aria-live="polite">
        {trans.__(
          '%1 of %2 learners shown',
          rows.length,
          matrix.learners.length
        )}
        {model.matrixError ? ` — ${model.matrixError}` : ''}
      </p>
      {matrix.challenges.length === 0 ? (
        <p>{trans.__('No submissions yet.')}</p>
      ) : (
        <div className="jp-codequest-table-scroll">
          <table className="jp-codequest-table jp-codequest-class-table">
            <caption className="jp-codequest-sr-only">
              {trans.__(
                'Learners by challenge: best points, attempts, last activity and late work. Column headers sort.'
              )}
            </caption>
            <thead>
              <tr>
                <SortHeader
                  model={model}
                  sortKey="learner"
                  label={trans.__('Learner')}
                  description={trans.__('Sort by learner')}
                />
                {shown.map(c => (
                  <SortHeader
                    key={c}
                    model={model}
                    sortKey={c}
                    label={c}
                    description={trans.__('Sort by best points on %1', c)}
                    statsLabel={trans.__('Charts and failures of %1', c)}
                    statsText={trans.__('charts')}
                  />
                ))}
                <SortHeader
                  model={model}
                  sortKey="total"
                  label={trans.__('Total')}
                  description={trans.__('Sort by total best points')}
                />
                <SortHeader
                  model={model}
                  sortKey="last"
                  label={trans.__('Last activity')}
                  description={trans.__('Sort by last submission')}
                />
              </tr>
            </thead>
            <tbody>
              {rows.map(row => (
                <Row
                  key={row.learner}
                  row={row}
                  shown={shown}
                  model={model}
                  trans={trans}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

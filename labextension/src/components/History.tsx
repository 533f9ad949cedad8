/**
 * A learner's submissions of one challenge: a score chart and a list.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import {
  formatDuration,
  formatWhen,
  scoreText,
  testStatusLabel
} from '../format';
import type { ISubmissionSummary } from '../tokens';

function statusGlyph(
  status: ISubmissionSummary['status'],
  trans: TranslationBundle
): { glyph: string; label: string; tone: string } {
  // A finished submission reads like a test with that outcome.
  return status === 'passed' || status === 'failed' || status === 'error'
    ? testStatusLabel(status, trans)
    : { glyph: '…', label: trans.__('running'), tone: 'idle' };
}

/** The fraction of tests passed, 0..1. */
function fraction(entry: ISubmissionSummary): number {
  return entry.total > 0 ? entry.score / entry.total : 0;
}

const WIDTH = 300;
const HEIGHT = 130;
const LEFT = 40;
const RIGHT = 10;
const TOP = 8;
const BOTTOM = 34;

/**
 * Score over attempts as an inline SVG: the share of tests passed (y, 0 to
 * 100 %) by attempt number (x, oldest on the left), Run tests and Submit as
 * two series told apart by line, marker and legend, not by colour alone.
 *
 * @param entries - newest first, as the API returns them
 */
export function ScoreChart(props: {
  entries: ReadonlyArray<ISubmissionSummary>;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { trans } = props;
  const attempts = props.entries.slice().reverse();
  if (attempts.length === 0) {
    return null;
  }
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const x = (index: number) =>
    attempts.length > 1
      ? LEFT + (index * plotW) / (attempts.length - 1)
      : LEFT + plotW / 2;
  const y = (share: number) => TOP + (1 - share) * plotH;
  const points = attempts.map((entry, index) => ({
    x: x(index),
    y: y(fraction(entry)),
    attempt: index + 1,
    entry
  }));
  const series = (mode: 'run' | 'submit') =>
    points.filter(p => p.entry.mode === mode);
  const runs = series('run');
  const submits = series('submit');
  // Label every attempt when they fit, else about six of them.
  const every = Math.max(1, Math.ceil(attempts.length / 6));
  const ticks = points.filter(
    p => (p.attempt - 1) % every === 0 || p.attempt === attempts.length
  );
  const label = trans.__(
    'Share of tests passed by attempt: %1 test runs, %2 submissions',
    String(runs.length),
    String(submits.length)
  );
  const line = (list: typeof points, className: string) =>
    list.length > 1 ? (
      <polyline
        className={className}
        fill="none"
        points={list.map(p => `${p.x},${p.y}`).join(' ')}
      />
    ) : null;
  return (
    <figure className="jp-codequest-chart-figure">
      <svg
        className="jp-codequest-chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={label}
      >
        <title>{label}</title>
        {[0, 0.5, 1].map(share => (
          <g key={share}>
            <line
              className="jp-codequest-chart-grid"
              x1={LEFT}
              x2={WIDTH - RIGHT}
              y1={y(share)}
              y2={y(share)}
            />
            <text
              className="jp-codequest-chart-tick"
              x={LEFT - 4}
              y={y(share)}
              textAnchor="end"
              dominantBaseline="middle"
            >
              {`${share * 100}%`}
            </text>
          </g>
        ))}
        <line
          className="jp-codequest-chart-axis"
          x1={LEFT}
          x2={LEFT}
          y1={TOP}
          y2={TOP + plotH}
        />
        <line
          className="jp-codequest-chart-axis"
          x1={LEFT}
          x2={WIDTH - RIGHT}
          y1={TOP + plotH}
          y2={TOP + plotH}
        />
        {ticks.map(p => (
          <text
            key={p.attempt}
            className="jp-codequest-chart-tick"
            x={p.x}
            y={TOP + plotH + 12}
            textAnchor="middle"
          >
            {p.attempt}
          </text>
        ))}
        <text
          className="jp-codequest-chart-title"
          x={LEFT + plotW / 2}
          y={HEIGHT - 4}
          textAnchor="middle"
        >
          {trans.__('Attempt')}
        </text>
        <text
          className="jp-codequest-chart-title"
          transform={`translate(10 ${TOP + plotH / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {trans.__('Tests passed')}
        </text>
        {line(runs, 'jp-codequest-chart-line jp-codequest-chart-run')}
        {line(submits, 'jp-codequest-chart-line jp-codequest-chart-submit')}
        {points.map(p => {
          const tone = statusGlyph(p.entry.status, trans).tone;
          const title = trans.__(
            'Attempt %1 (%2): %3',
            String(p.attempt),
            p.entry.mode === 'submit' ? trans.__('submit') : trans.__('run'),
            scoreText(p.entry)
          );
          return p.entry.mode === 'submit' ? (
            <rect
              key={p.entry.id}
              className={`jp-codequest-chart-point jp-codequest-chart-submit jp-codequest-tone-${tone}`}
              x={p.x - 4}
              y={p.y - 4}
              width={8}
              height={8}
              data-score={scoreText(p.entry)}
              data-mode="submit"
            >
              <title>{title}</title>
            </rect>
          ) : (
            <circle
              key={p.entry.id}
              className={`jp-codequest-chart-point jp-codequest-chart-run jp-codequest-tone-${tone}`}
              cx={p.x}
              cy={p.y}
              r={3.5}
              data-score={scoreText(p.entry)}
              data-mode="run"
            >
              <title>{title}</title>
            </circle>
          );
        })}
      </svg>
      <figcaption className="jp-codequest-chart-legend">
        <span className="jp-codequest-legend-item">
          <span
            className="jp-codequest-legend-mark jp-codequest-legend-submit"
            aria-hidden="true"
          />
          {trans.__('Submit')}
        </span>
        <span className="jp-codequest-legend-item">
          <span
            className="jp-codequest-legend-mark jp-codequest-legend-run"
            aria-hidden="true"
          />
          {trans.__('Run tests')}
        </span>
      </figcaption>
    </figure>
  );
}

/** The submissions, newest first; selecting one shows its full result. */
export function HistoryList(props: {
  entries: ReadonlyArray<ISubmissionSummary>;
  selectedId?: string | null;
  onSelect: (id: string) => void;
  now?: Date;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  if (props.entries.length === 0) {
    return (
      <div className="jp-codequest-muted">
        {trans.__(
          'No submissions yet. Run the tests or submit to see them here.'
        )}
      </div>
    );
  }
  return (
    <ul
      className="jp-codequest-history"
      aria-label={trans.__('Your submissions, newest first')}
    >
      {props.entries.map(entry => {
        const status = statusGlyph(entry.status, trans);
        const when = formatWhen(entry.submitted_at, trans, props.now);
        return (
          <li key={entry.id} data-submission-id={entry.id}>
            <button
              type="button"
              className={
                'jp-codequest-history-item' +
                (props.selectedId === entry.id ? ' jp-mod-selected' : '')
              }
              aria-current={props.selectedId === entry.id ? 'true' : undefined}
              onClick={() => props.onSelect(entry.id)}
            >
              <span
                className={`jp-codequest-status jp-codequest-tone-${status.tone}`}
                role="img"
                aria-label={status.label}
                title={status.label}
              >
                {status.glyph}
              </span>
              <span className="jp-codequest-history-when">{when}</span>
              <span className="jp-codequest-history-mode">
                {entry.mode === 'submit' ? trans.__('submit') : trans.__('run')}
                {entry.late && (
                  <span
                    className="jp-codequest-badge jp-codequest-late-badge"
                    title={trans.__('Submitted after the due time')}
                  >
                    {' '}
                    {trans.__('late')}
                  </span>
                )}
              </span>
              <span className="jp-codequest-history-score">
                {scoreText(entry)}
              </span>
              <span className="jp-codequest-history-duration">
                {formatDuration(entry.duration_ms, trans)}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

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

const WIDTH = 240;
const HEIGHT = 64;
const PAD = 6;

/**
 * Score over attempts, oldest on the left, as an inline SVG.
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
  const step =
    attempts.length > 1 ? (WIDTH - 2 * PAD) / (attempts.length - 1) : 0;
  const points = attempts.map((entry, index) => ({
    x: attempts.length > 1 ? PAD + index * step : WIDTH / 2,
    y: PAD + (1 - fraction(entry)) * (HEIGHT - 2 * PAD),
    entry
  }));
  const label = trans._n(
    'Score of %1 attempt',
    'Score over %1 attempts',
    attempts.length
  );
  return (
    <svg
      className="jp-codequest-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      <title>{label}</title>
      <line
        className="jp-codequest-chart-axis"
        x1={PAD}
        x2={WIDTH - PAD}
        y1={PAD}
        y2={PAD}
      />
      <line
        className="jp-codequest-chart-axis"
        x1={PAD}
        x2={WIDTH - PAD}
        y1={HEIGHT - PAD}
        y2={HEIGHT - PAD}
      />
      {points.length > 1 && (
        <polyline
          className="jp-codequest-chart-line"
          fill="none"
          points={points.map(p => `${p.x},${p.y}`).join(' ')}
        />
      )}
      {points.map((p, index) => (
        <circle
          key={p.entry.id}
          className={`jp-codequest-chart-point jp-codequest-tone-${
            statusGlyph(p.entry.status, trans).tone
          }`}
          cx={p.x}
          cy={p.y}
          r={3}
          data-score={scoreText(p.entry)}
        >
          <title>
            {trans.__(
              'Attempt %1: %2',
              String(index + 1),
              scoreText(p.entry)
            )}
          </title>
        </circle>
      ))}
    </svg>
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
        {trans.__('No submissions yet. Run the tests or submit to see them here.')}
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
                aria-label={status.label}
                title={status.label}
              >
                {status.glyph}
              </span>
              <span className="jp-codequest-history-when">{when}</span>
              <span className="jp-codequest-history-mode">
                {entry.mode === 'submit' ? trans.__('submit') : trans.__('run')}
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

/**
 * Words and numbers shown to the learner: durations, times, scores.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import {
  IGradeResult,
  IProgress,
  ISubmissionSummary,
  TestStatus
} from './tokens';

/** `6` for 6.0, `2.5` for 2.5, `0.33` for 1/3. */
export function formatPoints(points: number | null | undefined): string {
  const value = points ?? 0;
  return String(Math.round(value * 100) / 100);
}

/** `412 ms` would be noise for a learner: `0.4 s`, `12 s`, `2 min 5 s`. */
export function formatDuration(
  ms: number | null | undefined,
  trans: TranslationBundle
): string {
  const value = Math.max(0, ms ?? 0);
  if (value < 10000) {
    return trans.__('%1 s', (Math.round(value / 100) / 10).toFixed(1));
  }
  if (value < 60000) {
    return trans.__('%1 s', String(Math.round(value / 1000)));
  }
  const minutes = Math.floor(value / 60000);
  const seconds = Math.round((value % 60000) / 1000);
  return trans.__('%1 min %2 s', String(minutes), String(seconds));
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/**
 * When a submission was made, in the learner's local time:
 * `today 14:32`, `yesterday 09:05`, `24 Nov 14:32`, `24 Nov 2025 14:32`.
 */
export function formatWhen(
  iso: string,
  trans: TranslationBundle,
  now: Date = new Date()
): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (sameDay(date, now)) {
    return trans.__('today %1', time);
  }
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(date, yesterday)) {
    return trans.__('yesterday %1', time);
  }
  const month = date.toLocaleString(undefined, { month: 'short' });
  if (date.getFullYear() === now.getFullYear()) {
    return `${date.getDate()} ${month} ${time}`;
  }
  return `${date.getDate()} ${month} ${date.getFullYear()} ${time}`;
}

/** `3/4 passed · 6/8 points · 0.4 s`. */
export function summaryText(
  result: Pick<
    IGradeResult,
    'score' | 'total' | 'points' | 'max_points' | 'duration_ms'
  >,
  trans: TranslationBundle
): string {
  return [
    trans.__('%1/%2 passed', String(result.score), String(result.total)),
    trans.__(
      '%1/%2 points',
      formatPoints(result.points),
      formatPoints(result.max_points)
    ),
    formatDuration(result.duration_ms, trans)
  ].join(' · ');
}

/** The score of a history entry: `3/4`. */
export function scoreText(summary: ISubmissionSummary): string {
  return `${summary.score}/${summary.total}`;
}

/** The glyph and the word for a test status. */
export function testStatusLabel(
  status: TestStatus | 'pending',
  trans: TranslationBundle
): { glyph: string; label: string; tone: 'pass' | 'fail' | 'warn' | 'idle' } {
  switch (status) {
    case 'passed':
      return { glyph: '✓', label: trans.__('passed'), tone: 'pass' };
    case 'failed':
      return { glyph: '✗', label: trans.__('failed'), tone: 'fail' };
    case 'error':
      return { glyph: '⚠', label: trans.__('error'), tone: 'warn' };
    case 'timeout':
      return { glyph: '⚠', label: trans.__('timed out'), tone: 'warn' };
    case 'skipped':
      return { glyph: '–', label: trans.__('skipped'), tone: 'idle' };
    case 'not_run':
      return { glyph: '–', label: trans.__('not run'), tone: 'idle' };
    default:
      return { glyph: '…', label: trans.__('running'), tone: 'idle' };
  }
}

/** A learner's progress in words: `Not started`, `Best 3/4`, `Completed`. */
export function progressText(
  progress: IProgress | undefined,
  trans: TranslationBundle
): string {
  if (!progress || progress.status === 'not_started') {
    return trans.__('Not started');
  }
  if (progress.status === 'completed') {
    return trans.__('Completed');
  }
  if (progress.best_score !== null && progress.best_total) {
    return trans.__(
      'Best %1/%2',
      String(progress.best_score),
      String(progress.best_total)
    );
  }
  return trans.__('Attempted');
}

/** Words for an error kind that stopped the tests. */
export function errorKindTitle(kind: string, trans: TranslationBundle): string {
  switch (kind) {
    case 'syntax':
      return trans.__('Your notebook has a syntax error');
    case 'timeout':
      return trans.__('Your code took too long');
    case 'memory':
      return trans.__('Your code used too much memory');
    case 'kernel_died':
      return trans.__('The Python process running your code stopped');
    case 'notebook':
      return trans.__('The notebook could not be read');
    case 'internal':
      return trans.__('The tests could not run');
    default:
      return trans.__('The tests could not run');
  }
}

/** The name of a difficulty, translated. */
export function difficultyLabel(
  difficulty: string,
  trans: TranslationBundle
): string {
  switch (difficulty) {
    case 'easy':
      return trans.__('Easy');
    case 'medium':
      return trans.__('Medium');
    case 'hard':
      return trans.__('Hard');
    default:
      return difficulty;
  }
}

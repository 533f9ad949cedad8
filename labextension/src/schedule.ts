/**
 * Deadlines and attempts in words: when a challenge opens or is due, the
 * time left, the late policy, "3 of 10 submissions used", and why Submit
 * (or Run tests) is unavailable.
 *
 * Pure functions of a challenge's schedule and a clock (`now`), so every
 * rule is tested with a fixed time. The rules mirror the server's
 * (`codequest_jupyter/deadlines.py`), which stays the one that enforces
 * them: before `opens` nothing is accepted, not even Run tests; after `due`
 * with the "reject" policy Submit is refused and Run tests still works; once
 * `max_submissions` submits are used Submit is refused and Run tests still
 * works. Times are shown in the learner's local time.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

import { formatPoints } from './format';
import type { IGradeResult, ISchedule } from './tokens';

/** Where a challenge stands at a moment. */
export type WindowState =
  /** Before `opens`: nothing is accepted yet. */
  | 'upcoming'
  /** Open: no due time, or before it. */
  | 'open'
  /** Past due; late work is accepted (flagged, maybe with a penalty). */
  | 'late'
  /** Past due and late work is refused. */
  | 'closed';

const MINUTE = 60000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Below this much time left, the due time reads as a countdown. */
export const COUNTDOWN_BELOW_MS = 12 * HOUR;

function parse(iso: string | null | undefined): Date | null {
  if (!iso) {
    return null;
  }
  const date = new Date(iso);
  return isNaN(date.getTime()) ? null : date;
}

/** Where the challenge stands at `now`; exactly at `due` is still on time. */
export function windowState(schedule: ISchedule, now: Date): WindowState {
  const opens = parse(schedule.opens);
  if (opens && now.getTime() < opens.getTime()) {
    return 'upcoming';
  }
  const due = parse(schedule.due);
  // The server calls work late when submitted strictly after due.
  if (!due || now.getTime() <= due.getTime()) {
    return 'open';
  }
  return schedule.late === 'reject' ? 'closed' : 'late';
}

/**
 * A span of time for people, rounded down to the minute: `2 h 13 min`,
 * `45 min`, `3 days 4 h`, `less than a minute`.
 */
export function formatTimeLeft(ms: number, trans: TranslationBundle): string {
  const value = Math.max(0, ms);
  if (value < MINUTE) {
    return trans.__('less than a minute');
  }
  const days = Math.floor(value / DAY);
  const hours = Math.floor((value % DAY) / HOUR);
  const minutes = Math.floor((value % HOUR) / MINUTE);
  if (days > 0) {
    const dayWords = trans._n('%1 day', '%1 days', days);
    return hours > 0
      ? `${dayWords} ${trans.__('%1 h', String(hours))}`
      : dayWords;
  }
  if (hours > 0) {
    return minutes > 0
      ? trans.__('%1 h %2 min', String(hours), String(minutes))
      : trans.__('%1 h', String(hours));
  }
  return trans.__('%1 min', String(minutes));
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function startOfDay(date: Date): number {
  return new Date(
    date.getFullYear(),
    date.getMonth(),
    date.getDate()
  ).getTime();
}

/**
 * A moment near `now` in the learner's local time: `today 17:00`,
 * `tomorrow 17:00`, `yesterday 17:00`, `Mon 09:00` (within the coming
 * week), `15 Dec 23:59`, `15 Dec 2027 23:59`.
 */
export function formatMoment(
  date: Date,
  trans: TranslationBundle,
  now: Date
): string {
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  // Whole calendar days between the two dates (DST-safe by rounding).
  const days = Math.round((startOfDay(date) - startOfDay(now)) / DAY);
  if (days === 0) {
    return trans.__('today %1', time);
  }
  if (days === 1) {
    return trans.__('tomorrow %1', time);
  }
  if (days === -1) {
    return trans.__('yesterday %1', time);
  }
  if (days > 1 && days < 7) {
    const weekday = date.toLocaleString(undefined, { weekday: 'short' });
    return `${weekday} ${time}`;
  }
  const month = date.toLocaleString(undefined, { month: 'short' });
  if (date.getFullYear() === now.getFullYear()) {
    return `${date.getDate()} ${month} ${time}`;
  }
  return `${date.getDate()} ${month} ${date.getFullYear()} ${time}`;
}

/** The full local date and time, for a tooltip. */
export function formatFullMoment(iso: string | null | undefined): string {
  const date = parse(iso);
  return date
    ? date.toLocaleString(undefined, {
        weekday: 'long',
        year: 'numeric',
        month: 'long',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit'
      })
    : '';
}

/** `20%` for 0.2, `12.5%` for 0.125. */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/**
 * The deadline in one short phrase, or null when the challenge has neither
 * `opens` nor `due`: `opens Mon 09:00`, `due in 2 h 13 min` (under
 * {@link COUNTDOWN_BELOW_MS}), `due tomorrow 17:00`, `closed` (past due,
 * late work refused), `was due yesterday 17:00` (past due, late work taken).
 */
export function deadlineText(
  schedule: ISchedule,
  trans: TranslationBundle,
  now: Date
): string | null {
  const state = windowState(schedule, now);
  const opens = parse(schedule.opens);
  const due = parse(schedule.due);
  if (state === 'upcoming' && opens) {
    return trans.__('opens %1', formatMoment(opens, trans, now));
  }
  if (!due) {
    return null;
  }
  if (state === 'closed') {
    return trans.__('closed');
  }
  if (state === 'late') {
    return trans.__('was due %1', formatMoment(due, trans, now));
  }
  const left = due.getTime() - now.getTime();
  if (left < COUNTDOWN_BELOW_MS) {
    return trans.__('due in %1', formatTimeLeft(left, trans));
  }
  return trans.__('due %1', formatMoment(due, trans, now));
}

/**
 * The time left before `opens` (`in 3 days 4 h`) or, once open, before
 * `due` (`2 h 13 min left`); null when neither applies.
 */
export function timeLeftText(
  schedule: ISchedule,
  trans: TranslationBundle,
  now: Date
): string | null {
  const state = windowState(schedule, now);
  const opens = parse(schedule.opens);
  const due = parse(schedule.due);
  if (state === 'upcoming' && opens) {
    return trans.__(
      'in %1',
      formatTimeLeft(opens.getTime() - now.getTime(), trans)
    );
  }
  if (state === 'open' && due) {
    return trans.__(
      '%1 left',
      formatTimeLeft(due.getTime() - now.getTime(), trans)
    );
  }
  return null;
}

/**
 * What happens to late work: `late submissions lose 20%`, `late
 * submissions are not accepted`, `late: accepted and flagged`; null
 * without a due time.
 */
export function latePolicyText(
  schedule: ISchedule,
  trans: TranslationBundle
): string | null {
  if (!schedule.due) {
    return null;
  }
  if (schedule.late === 'reject') {
    return trans.__('late submissions are not accepted');
  }
  if (schedule.late === 'penalty' && schedule.late_penalty) {
    return trans.__(
      'late submissions lose %1',
      formatPercent(schedule.late_penalty)
    );
  }
  return trans.__('late: accepted and flagged');
}

/** `3 of 10 submissions used`; null when submissions are unlimited. */
export function attemptsText(
  schedule: ISchedule,
  trans: TranslationBundle
): string | null {
  const max = schedule.max_submissions;
  if (!max) {
    return null;
  }
  return trans.__(
    '%1 of %2 submissions used',
    String(Math.min(schedule.submissions_used ?? 0, max)),
    String(max)
  );
}

/** True when every allowed submission is used. */
export function submissionsUsedUp(schedule: ISchedule): boolean {
  return (
    !!schedule.max_submissions &&
    (schedule.submissions_used ?? 0) >= schedule.max_submissions
  );
}

/**
 * True when the server would refuse a `mode` submission at `now`: before
 * `opens` anything; a Submit after `due` under "reject" or with every
 * submission used.
 */
export function refuses(
  schedule: ISchedule,
  mode: 'run' | 'submit',
  now: Date
): boolean {
  const state = windowState(schedule, now);
  if (state === 'upcoming') {
    return true;
  }
  return (
    mode === 'submit' && (state === 'closed' || submissionsUsedUp(schedule))
  );
}

/** Why a button is unavailable, or null when the server would accept it. */
export interface IBlocked {
  run: string | null;
  submit: string | null;
}

/**
 * Why Run tests and Submit would be refused at `now`, in the server's
 * order (opens, then the late policy, then the count).
 */
export function blockedReasons(
  schedule: ISchedule,
  trans: TranslationBundle,
  now: Date
): IBlocked {
  const state = windowState(schedule, now);
  const opens = parse(schedule.opens);
  if (state === 'upcoming' && opens) {
    const reason = trans.__(
      'This challenge opens %1; nothing can be run or submitted before then.',
      formatMoment(opens, trans, now)
    );
    return { run: reason, submit: reason };
  }
  if (state === 'closed') {
    return {
      run: null,
      submit: trans.__(
        'The due time has passed and late submissions are not accepted. Run tests still works.'
      )
    };
  }
  if (submissionsUsedUp(schedule)) {
    return {
      run: null,
      submit: trans._n(
        'Your %1 submission is used. Run tests still works.',
        'All %1 submissions are used. Run tests still works.',
        schedule.max_submissions!
      )
    };
  }
  return { run: null, submit: null };
}

/**
 * The milliseconds from `now` to the next moment the wording or the state
 * changes at minute precision: the next whole minute, or the opens/due
 * instant itself when that comes first.
 */
export function nextTick(schedule: ISchedule, now: Date): number {
  const toMinute = MINUTE - (now.getTime() % MINUTE);
  const edges = [parse(schedule.opens), parse(schedule.due)]
    .filter((d): d is Date => !!d)
    // `due` itself is still on time: the state changes one millisecond after.
    .map(d => d.getTime() + 1 - now.getTime())
    .filter(ms => ms > 0);
  return Math.max(1, Math.min(toMinute, ...edges));
}

/**
 * What lateness did to a result: `Submitted after the due time: 8 points
 * earned, 6.4 counted after the 20% penalty`, or `Submitted after the due
 * time; flagged for your instructor` with no penalty; null when on time.
 */
export function lateResultText(
  result: Pick<IGradeResult, 'late' | 'penalty' | 'points' | 'raw_points'>,
  trans: TranslationBundle
): string | null {
  if (!result.late) {
    return null;
  }
  if (result.penalty && result.raw_points !== undefined) {
    return trans.__(
      'Submitted after the due time: %1 points earned, %2 counted after the %3 penalty.',
      formatPoints(result.raw_points),
      formatPoints(result.points),
      formatPercent(result.penalty)
    );
  }
  return trans.__('Submitted after the due time; flagged for your instructor.');
}

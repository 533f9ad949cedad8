/**
 * Deadlines and attempts as the learner sees them: a short line per
 * challenge in the browser, the facts in the Tests panel's header (the time
 * left renewed each minute), and the reason a button is unavailable.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import {
  attemptsText,
  deadlineText,
  formatFullMoment,
  formatMoment,
  latePolicyText,
  nextTick,
  submissionsUsedUp,
  timeLeftText,
  windowState
} from '../schedule';
import type { ISchedule } from '../tokens';
import { useNow } from './hooks';

/**
 * The server's time (`serverNow`, the browser's when absent), renewed each
 * minute and at the schedule's edges.
 */
export function useScheduleClock(
  schedules: ReadonlyArray<ISchedule>,
  serverNow: () => Date = () => new Date()
): Date {
  const local = useNow(() => {
    const now = serverNow();
    return Math.min(
      60000,
      ...schedules.map(schedule => nextTick(schedule, now))
    );
  });
  // Read the server's time on every render (the clock's tick is one of them).
  void local;
  return serverNow();
}

/**
 * The browser's line for one challenge: `due in 2 h 13 min`, `opens Mon
 * 09:00`, `closed · late submissions are not accepted`, `2 of 3
 * submissions used`. Nothing when the challenge has no schedule.
 */
export function DeadlineLine(props: {
  schedule: ISchedule;
  now: Date;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { schedule, now, trans } = props;
  const state = windowState(schedule, now);
  const deadline = deadlineText(schedule, trans, now);
  const policy =
    state === 'late' || state === 'closed'
      ? latePolicyText(schedule, trans)
      : null;
  const attempts = attemptsText(schedule, trans);
  if (!deadline && !attempts) {
    return null;
  }
  const when = state === 'upcoming' ? schedule.opens : schedule.due;
  return (
    <span className="jp-codequest-schedule-line">
      {deadline && (
        <span
          className={`jp-codequest-deadline jp-codequest-deadline-${state}`}
          title={formatFullMoment(when)}
        >
          {deadline}
        </span>
      )}
      {policy && <span className="jp-codequest-late-policy">{policy}</span>}
      {attempts && (
        <span
          className={
            'jp-codequest-attempts' +
            (submissionsUsedUp(schedule) ? ' jp-mod-used-up' : '')
          }
        >
          {attempts}
        </span>
      )}
    </span>
  );
}

/**
 * The Tests panel's facts: when it opens, when it is due and the time left,
 * the late policy, the submissions used. Not a live region: the time left
 * changes each minute and would be read out each time.
 */
export function ScheduleFacts(props: {
  schedule: ISchedule;
  now: Date;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { schedule, now, trans } = props;
  const state = windowState(schedule, now);
  const opens = schedule.opens ? new Date(schedule.opens) : null;
  const due = schedule.due ? new Date(schedule.due) : null;
  const left = timeLeftText(schedule, trans, now);
  const policy = latePolicyText(schedule, trans);
  const attempts = attemptsText(schedule, trans);
  if (!opens && !due && !attempts) {
    return null;
  }
  let dueWords: string | null = null;
  if (due) {
    const moment = formatMoment(due, trans, now);
    dueWords =
      state === 'closed'
        ? trans.__('Closed: was due %1', moment)
        : state === 'late'
          ? trans.__('Was due %1', moment)
          : trans.__('Due %1', moment);
  }
  return (
    <div
      className={`jp-codequest-schedule jp-codequest-schedule-${state}`}
      role="group"
      aria-label={trans.__('Deadline and submissions')}
    >
      {state === 'upcoming' && opens && (
        <div
          className="jp-codequest-schedule-opens"
          title={formatFullMoment(schedule.opens)}
        >
          {trans.__('Opens %1', formatMoment(opens, trans, now))}
          {left && <span className="jp-codequest-time-left"> · {left}</span>}
        </div>
      )}
      {dueWords && (
        <div
          className="jp-codequest-schedule-due"
          title={formatFullMoment(schedule.due)}
        >
          <span
            className={`jp-codequest-deadline jp-codequest-deadline-${state}`}
          >
            {dueWords}
          </span>
          {state === 'open' && left && (
            <span className="jp-codequest-time-left"> · {left}</span>
          )}
        </div>
      )}
      {policy && (
        <div className="jp-codequest-late-policy">
          {policy.charAt(0).toUpperCase() + policy.slice(1)}
        </div>
      )}
      {attempts && (
        <div
          className={
            'jp-codequest-attempts' +
            (submissionsUsedUp(schedule) ? ' jp-mod-used-up' : '')
          }
        >
          {attempts.charAt(0).toUpperCase() + attempts.slice(1)}
        </div>
      )}
    </div>
  );
}

/** Why Run tests or Submit is unavailable, linked to the buttons. */
export function BlockedReason(props: {
  id: string;
  reason: string | null;
}): JSX.Element | null {
  if (!props.reason) {
    return null;
  }
  return (
    <div id={props.id} className="jp-codequest-blocked-reason">
      {props.reason}
    </div>
  );
}

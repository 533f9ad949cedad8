import {
  attemptsText,
  blockedReasons,
  deadlineText,
  formatMoment,
  formatTimeLeft,
  lateResultText,
  latePolicyText,
  nextTick,
  refuses,
  timeLeftText,
  windowState
} from '../schedule';
import type { ISchedule } from '../tokens';
import { trans } from './utils';

// A fixed clock in the learner's local time: Tuesday 1 Dec 2026, 15:00.
const NOW = new Date(2026, 11, 1, 15, 0, 0);
const MIN = 60000;
const HOUR = 60 * MIN;

function at(ms: number): string {
  return new Date(NOW.getTime() + ms).toISOString();
}

function local(day: number, hour: number, minute = 0): string {
  return new Date(2026, 11, day, hour, minute).toISOString();
}

describe('formatTimeLeft', () => {
  it('rounds down to the minute and names the units', () => {
    expect(formatTimeLeft(2 * HOUR + 13 * MIN + 59000, trans)).toBe(
      '2 h 13 min'
    );
    expect(formatTimeLeft(2 * HOUR, trans)).toBe('2 h');
    expect(formatTimeLeft(45 * MIN, trans)).toBe('45 min');
    expect(formatTimeLeft(59999, trans)).toBe('less than a minute');
    expect(formatTimeLeft(0, trans)).toBe('less than a minute');
    expect(formatTimeLeft(-5000, trans)).toBe('less than a minute');
    expect(formatTimeLeft(3 * 24 * HOUR + 4 * HOUR + 30 * MIN, trans)).toBe(
      '3 days 4 h'
    );
    expect(formatTimeLeft(24 * HOUR + 10 * MIN, trans)).toBe('1 day');
  });
});

describe('formatMoment', () => {
  it('says today, tomorrow, yesterday, the weekday within a week, else the date', () => {
    expect(formatMoment(new Date(2026, 11, 1, 17, 0), trans, NOW)).toBe(
      'today 17:00'
    );
    expect(formatMoment(new Date(2026, 11, 2, 17, 0), trans, NOW)).toBe(
      'tomorrow 17:00'
    );
    expect(formatMoment(new Date(2026, 10, 30, 9, 5), trans, NOW)).toBe(
      'yesterday 09:05'
    );
    const weekday = new Date(2026, 11, 7, 9, 0).toLocaleString(undefined, {
      weekday: 'short'
    });
    expect(formatMoment(new Date(2026, 11, 7, 9, 0), trans, NOW)).toBe(
      `${weekday} 09:00`
    );
    expect(formatMoment(new Date(2026, 11, 15, 23, 59), trans, NOW)).toMatch(
      /^15 \S+ 23:59$/
    );
    expect(formatMoment(new Date(2027, 0, 15, 23, 59), trans, NOW)).toMatch(
      /^15 \S+ 2027 23:59$/
    );
  });
});

describe('windowState and deadlineText', () => {
  it('counts down under 12 hours, gives the time beyond', () => {
    const soon: ISchedule = { due: at(2 * HOUR + 13 * MIN), late: 'accept' };
    expect(windowState(soon, NOW)).toBe('open');
    expect(deadlineText(soon, trans, NOW)).toBe('due in 2 h 13 min');
    expect(deadlineText({ due: local(2, 17) }, trans, NOW)).toBe(
      'due tomorrow 17:00'
    );
  });

  it('is still on time exactly at due, late one moment after', () => {
    const due = { due: NOW.toISOString(), late: 'reject' };
    expect(windowState(due, NOW)).toBe('open');
    expect(deadlineText(due, trans, NOW)).toBe('due in less than a minute');
    const after = new Date(NOW.getTime() + 1000);
    expect(windowState(due, after)).toBe('closed');
    expect(deadlineText(due, trans, after)).toBe('closed');
    expect(windowState({ ...due, late: 'accept' }, after)).toBe('late');
    expect(deadlineText({ ...due, late: 'accept' }, trans, after)).toBe(
      'was due today 15:00'
    );
  });

  it('says when a challenge opens, and nothing without a schedule', () => {
    const weekday = new Date(2026, 11, 7, 9, 0).toLocaleString(undefined, {
      weekday: 'short'
    });
    const upcoming = { opens: local(7, 9), due: local(14, 17) };
    expect(windowState(upcoming, NOW)).toBe('upcoming');
    expect(deadlineText(upcoming, trans, NOW)).toBe(`opens ${weekday} 09:00`);
    expect(timeLeftText(upcoming, trans, NOW)).toBe('in 5 days 18 h');
    expect(windowState({}, NOW)).toBe('open');
    expect(deadlineText({}, trans, NOW)).toBeNull();
    expect(timeLeftText({}, trans, NOW)).toBeNull();
    // Opened already, no due: nothing to say about time.
    expect(deadlineText({ opens: local(1, 9) }, trans, NOW)).toBeNull();
  });

  it('gives the time left only while open', () => {
    expect(timeLeftText({ due: at(45 * MIN) }, trans, NOW)).toBe('45 min left');
    expect(
      timeLeftText({ due: at(-MIN), late: 'accept' }, trans, NOW)
    ).toBeNull();
  });
});

describe('latePolicyText and attemptsText', () => {
  it('words each policy', () => {
    const due = at(HOUR);
    expect(
      latePolicyText({ due, late: 'penalty', late_penalty: 0.2 }, trans)
    ).toBe('late submissions lose 20%');
    expect(
      latePolicyText({ due, late: 'penalty', late_penalty: 0.125 }, trans)
    ).toBe('late submissions lose 12.5%');
    expect(latePolicyText({ due, late: 'reject' }, trans)).toBe(
      'late submissions are not accepted'
    );
    expect(latePolicyText({ due, late: 'accept' }, trans)).toBe(
      'late: accepted and flagged'
    );
    expect(latePolicyText({ late: 'accept' }, trans)).toBeNull();
  });

  it('counts submissions only when they are limited', () => {
    expect(
      attemptsText({ max_submissions: 10, submissions_used: 3 }, trans)
    ).toBe('3 of 10 submissions used');
    expect(attemptsText({ max_submissions: 2 }, trans)).toBe(
      '0 of 2 submissions used'
    );
    expect(attemptsText({ submissions_used: 3 }, trans)).toBeNull();
  });
});

describe('blockedReasons', () => {
  it('blocks nothing for an open challenge with submissions left', () => {
    expect(
      blockedReasons({ max_submissions: 2, submissions_used: 1 }, trans, NOW)
    ).toEqual({
      run: null,
      submit: null
    });
  });

  it('blocks Submit, not Run tests, once every submission is used', () => {
    const blocked = blockedReasons(
      { max_submissions: 2, submissions_used: 2 },
      trans,
      NOW
    );
    expect(blocked.run).toBeNull();
    expect(blocked.submit).toBe(
      'All 2 submissions are used. Run tests still works.'
    );
    expect(
      blockedReasons({ max_submissions: 1, submissions_used: 1 }, trans, NOW)
        .submit
    ).toBe('Your 1 submission is used. Run tests still works.');
  });

  it('blocks Submit after due when late work is refused, not when it is taken', () => {
    const past = { due: at(-MIN), late: 'reject' };
    expect(blockedReasons(past, trans, NOW)).toEqual({
      run: null,
      submit:
        'The due time has passed and late submissions are not accepted. Run tests still works.'
    });
    expect(
      blockedReasons(
        { ...past, late: 'penalty', late_penalty: 0.2 },
        trans,
        NOW
      ).submit
    ).toBeNull();
    expect(
      blockedReasons({ ...past, due: NOW.toISOString() }, trans, NOW).submit
    ).toBeNull();
  });

  it('blocks both before the challenge opens (the server refuses Run tests too)', () => {
    const blocked = blockedReasons({ opens: local(2, 9) }, trans, NOW);
    expect(blocked.run).toBe(
      'This challenge opens tomorrow 09:00; nothing can be run or submitted before then.'
    );
    expect(blocked.submit).toBe(blocked.run);
  });
});

describe('nextTick', () => {
  it('waits for the next minute, or for an edge that comes sooner', () => {
    const mid = new Date(NOW.getTime() + 20000);
    expect(nextTick({}, mid)).toBe(40000);
    expect(nextTick({ due: at(25000) }, mid)).toBe(5001);
    expect(nextTick({ due: at(-HOUR) }, mid)).toBe(40000);
  });
});

describe('lateResultText', () => {
  it('shows what the penalty took, or the flag alone', () => {
    expect(
      lateResultText(
        { late: true, penalty: 0.2, raw_points: 8, points: 6.4 },
        trans
      )
    ).toBe(
      'Submitted after the due time: 8 points earned, 6.4 counted after the 20% penalty.'
    );
    expect(lateResultText({ late: true, penalty: 0, points: 8 }, trans)).toBe(
      'Submitted after the due time; flagged for your instructor.'
    );
    expect(lateResultText({ late: false, points: 8 }, trans)).toBeNull();
    expect(lateResultText({ points: 8 }, trans)).toBeNull();
  });
});

describe('refuses', () => {
  it('follows the server: nothing before opens, Submit only after a rejecting due or the last submission', () => {
    expect(refuses({ opens: at(MIN) }, 'run', NOW)).toBe(true);
    expect(refuses({ opens: at(-MIN) }, 'run', NOW)).toBe(false);
    expect(refuses({ due: at(-MIN), late: 'reject' }, 'submit', NOW)).toBe(
      true
    );
    expect(refuses({ due: at(-MIN), late: 'reject' }, 'run', NOW)).toBe(false);
    expect(refuses({ due: at(-MIN), late: 'accept' }, 'submit', NOW)).toBe(
      false
    );
    expect(
      refuses({ max_submissions: 3, submissions_used: 3 }, 'submit', NOW)
    ).toBe(true);
    expect(
      refuses({ max_submissions: 3, submissions_used: 3 }, 'run', NOW)
    ).toBe(false);
    expect(
      refuses({ max_submissions: 3, submissions_used: 2 }, 'submit', NOW)
    ).toBe(false);
    expect(refuses({}, 'submit', NOW)).toBe(false);
  });
});

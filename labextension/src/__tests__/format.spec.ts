import {
  formatDuration,
  formatPoints,
  formatWhen,
  progressText
} from '../format';
import { trans } from './utils';

describe('formatWhen', () => {
  const now = new Date(2026, 10, 24, 18, 0, 0);

  it('says today and yesterday in local time', () => {
    expect(
      formatWhen(new Date(2026, 10, 24, 14, 32).toISOString(), trans, now)
    ).toBe('today 14:32');
    expect(
      formatWhen(new Date(2026, 10, 23, 9, 5).toISOString(), trans, now)
    ).toBe('yesterday 09:05');
  });

  it('gives the date for older submissions, with the year when it differs', () => {
    const older = formatWhen(
      new Date(2026, 2, 3, 8, 0).toISOString(),
      trans,
      now
    );
    expect(older).toMatch(/^3 \S+ 08:00$/);
    const lastYear = formatWhen(
      new Date(2025, 2, 3, 8, 0).toISOString(),
      trans,
      now
    );
    expect(lastYear).toMatch(/^3 \S+ 2025 08:00$/);
  });

  it('passes an unreadable time through', () => {
    expect(formatWhen('soon', trans, now)).toBe('soon');
  });
});

describe('formatDuration and formatPoints', () => {
  it('rounds for people', () => {
    expect(formatDuration(412, trans)).toBe('0.4 s');
    expect(formatDuration(0, trans)).toBe('0.0 s');
    expect(formatDuration(12400, trans)).toBe('12 s');
    expect(formatDuration(125000, trans)).toBe('2 min 5 s');
    expect(formatPoints(6)).toBe('6');
    expect(formatPoints(2.5)).toBe('2.5');
    expect(formatPoints(1 / 3)).toBe('0.33');
  });
});

describe('progressText', () => {
  it('words each status', () => {
    expect(progressText(undefined, trans)).toBe('Not started');
    expect(
      progressText(
        { status: 'attempted', attempts: 2, best_score: 1, best_total: 4 },
        trans
      )
    ).toBe('Best 1/4');
    expect(
      progressText(
        {
          status: 'attempted',
          attempts: 1,
          best_score: null,
          best_total: null
        },
        trans
      )
    ).toBe('Attempted');
    expect(
      progressText(
        { status: 'completed', attempts: 1, best_score: 4, best_total: 4 },
        trans
      )
    ).toBe('Completed');
  });
});

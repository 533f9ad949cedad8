/**
 * The instructors' dashboard's pure parts: the matrix's rows, search,
 * filters and sort; the attempts' text and diff; the Vega-Lite specs.
 */

import { failureSpec, perDaySpec, scoreSpec } from '../instructor/charts';
import {
  DEFAULT_VIEW,
  IMatrixView,
  pointsText,
  toggleSort,
  visibleRows
} from '../instructor/matrix';
import { codeText, diffTexts } from '../instructor/snapshot';
import { cell, MATRIX, STATS } from './dashboardFixtures';
import { trans } from './utils';

const names = (view: Partial<IMatrixView>) =>
  visibleRows(MATRIX, { ...DEFAULT_VIEW, ...view }).map(r => r.learner);

describe('the class matrix rows', () => {
  it('sorts by learner, a challenge column, the total and the last activity', () => {
    expect(names({})).toEqual(['alice', 'bob', 'Carla', 'dan']);
    expect(names({ sort: 'fizz', descending: true })).toEqual([
      'alice',
      'bob',
      'dan',
      'Carla'
    ]);
    expect(names({ sort: 'total', descending: true })).toEqual([
      'alice',
      'Carla',
      'bob',
      'dan'
    ]);
    expect(names({ sort: 'last', descending: true })[0]).toBe('alice');
  });

  it('searches names and filters passed, not passed, late and missing work', () => {
    expect(names({ search: 'CAR' })).toEqual(['Carla']);
    expect(names({ filter: 'passed' })).toEqual(['alice', 'Carla']);
    expect(names({ filter: 'unpassed' })).toEqual(['alice', 'bob', 'dan']);
    expect(names({ filter: 'late' })).toEqual(['bob']);
    expect(names({ filter: 'missing' })).toEqual(['bob', 'Carla', 'dan']);
    // One challenge's column: the filters look at that column only.
    expect(names({ challenge: 'sum', filter: 'missing' })).toEqual([
      'bob',
      'dan'
    ]);
  });

  it('toggles the direction on the same column and starts figures biggest first', () => {
    let view = toggleSort(DEFAULT_VIEW, 'learner');
    expect([view.sort, view.descending]).toEqual(['learner', true]);
    view = toggleSort(view, 'fizz');
    expect([view.sort, view.descending]).toEqual(['fizz', true]);
    expect(pointsText(MATRIX.cells[4])).toBe('– / 3');
    expect(pointsText(cell('x', 'y', 2.5))).toBe('2.5 / 3');
  });
});

describe('attempts as text and their diff', () => {
  const older = codeText({
    notebook: {
      cells: [
        { cell_type: 'markdown', source: '# Title' },
        { cell_type: 'code', source: ['def f(x):\n', '    return x\n'] }
      ]
    },
    files: { 'helper.py': 'A = 1\n' }
  });
  const newer = codeText({
    notebook: {
      cells: [{ cell_type: 'code', source: 'def f(x):\n    return x + 1' }]
    },
    files: { 'helper.py': 'A = 1\n' }
  });

  it('lists code cells and files under their own headers', () => {
    expect(older).toBe(
      '# In [1]\ndef f(x):\n    return x\n\n# File: helper.py\nA = 1\n'
    );
  });

  it('computes added and removed lines with their line numbers', () => {
    const diff = diffTexts(older, newer);
    expect([diff.added, diff.removed]).toEqual([1, 1]);
    const changed = diff.hunks[0].lines.filter(l => l.kind !== 'context');
    expect(changed).toEqual([
      { kind: 'removed', text: '    return x', oldLine: 3, newLine: null },
      { kind: 'added', text: '    return x + 1', oldLine: null, newLine: 3 }
    ]);
    expect(diffTexts(older, older).hunks).toEqual([]);
  });
});

describe('the Vega-Lite specs', () => {
  it('carry the statistics as data', () => {
    expect(
      (scoreSpec(STATS, trans).data as any).values.map((v: any) => v.learners)
    ).toEqual([1, 2]);
    const failures = (failureSpec(STATS, trans).data as any).values;
    expect(failures.map((v: any) => v.test)).toEqual([
      'test_a',
      'test_big (hidden)'
    ]);
    expect(failures[1].rate).toBeCloseTo(4 / 6);
    expect((perDaySpec(STATS, trans).data as any).values).toEqual(
      STATS.submissions_per_day
    );
    expect(String(scoreSpec(STATS, trans).$schema)).toContain('vega-lite/v5');
  });
});

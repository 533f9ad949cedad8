/**
 * The instructors' dashboard: the matrix's rows, search, filters and sort;
 * the attempts' text and diff; the Vega-Lite specs; the model's polling,
 * attempts and regrade progress; and the components over a fake client.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import React from 'react';

import { AttemptsView } from '../instructor/AttemptsView';
import {
  failureSpec,
  perDaySpec,
  scoreSpec,
  VEGALITE_MIME
} from '../instructor/charts';
import { ChallengeView } from '../instructor/ChallengeView';
import { ClassMatrix } from '../instructor/ClassMatrix';
import { Dashboard } from '../instructor/Dashboard';
import {
  DEFAULT_VIEW,
  IMatrixView,
  pointsText,
  toggleSort,
  visibleRows
} from '../instructor/matrix';
import { DashboardModel } from '../instructor/model';
import { codeText, diffTexts } from '../instructor/snapshot';
import type {
  IChallengeStats,
  IClassCell,
  IClassMatrix,
  IInstructorClient,
  IRegradeJob
} from '../instructor/types';
import {
  button,
  changeValue,
  click,
  flush,
  gradeResult,
  render,
  summary,
  testResult,
  trans,
  waitFor
} from './utils';

function cell(
  learner: string,
  challenge: string,
  best: number | null,
  extra: Partial<IClassCell> = {}
): IClassCell {
  return {
    learner,
    challenge,
    best_points: best,
    last_points: best ?? 0,
    max_points: 3,
    attempts: 1,
    first_passed_at: best === 3 ? '2026-11-30T10:00:00Z' : null,
    late: false,
    passed: best === 3,
    last_submitted_at: '2026-11-30T10:00:00Z',
    ...extra
  };
}

const MATRIX: IClassMatrix = {
  learners: ['alice', 'bob', 'Carla', 'dan'],
  challenges: ['fizz', 'sum'],
  cells: [
    cell('alice', 'fizz', 3, { attempts: 2 }),
    cell('alice', 'sum', 1, { last_submitted_at: '2026-11-30T12:00:00Z' }),
    cell('bob', 'fizz', 2, { late: true }),
    cell('Carla', 'sum', 3),
    cell('dan', 'fizz', null, { attempts: 3 })
  ]
};

const STATS: IChallengeStats = {
  challenge: 'fizz',
  submissions: 6,
  learners: 3,
  statuses: { passed: 1, failed: 4, error: 1 },
  max_points: 3,
  score_distribution: [
    { from: 0, to: 1.5, learners: 1 },
    { from: 1.5, to: 3, learners: 2 }
  ],
  tests: [
    {
      id: 'tests/t.py::test_a',
      name: 'test_a',
      hidden: false,
      runs: 6,
      failures: 1,
      failure_rate: 1 / 6,
      common_failures: [{ message: 'assert 1 == 2', count: 1 }]
    },
    {
      id: 'hidden/t.py::test_big',
      name: 'test_big',
      hidden: true,
      runs: 6,
      failures: 4,
      failure_rate: 4 / 6,
      common_failures: [
        { message: 'assert 10 == 11', count: 3 },
        { message: 'timeout', count: 1 }
      ]
    }
  ],
  submissions_per_day: [
    { day: '2026-11-29', count: 2 },
    { day: '2026-11-30', count: 4 }
  ]
};

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

type FakeInstructor = jest.Mocked<IInstructorClient>;

function fakeInstructorClient(): FakeInstructor {
  const running: IRegradeJob = {
    id: 'job1',
    challenge: 'fizz',
    challenge_version: 'v2',
    status: 'running',
    total: 3,
    done: 0,
    changed: 0,
    started_at: '2026-11-30T10:00:00Z',
    finished_at: null,
    error: null
  };
  const sub = (id: string, at: string, points: number) =>
    summary(id, at, points, 3);
  return {
    info: jest.fn(),
    classMatrix: jest.fn().mockResolvedValue(MATRIX),
    challengeStats: jest.fn().mockResolvedValue(STATS),
    learnerSubmissions: jest.fn().mockResolvedValue({
      submissions: [
        sub('s2', '2026-11-30T11:00:00Z', 3),
        sub('s1', '2026-11-30T10:00:00Z', 1)
      ],
      total: 2
    }),
    result: jest.fn(async (sid: string) =>
      gradeResult(
        [
          testResult('tests/t.py::test_a', 'passed'),
          testResult('hidden/t.py::test_big', 'failed', {
            message: 'assert 10 == 11',
            expected: '11',
            actual: '10'
          })
        ],
        { id: sid, mode: 'submit' }
      )
    ),
    code: jest.fn(async (sid: string) => ({
      notebook: {
        cells: [
          { cell_type: 'code', source: sid === 's1' ? 'x = 1\n' : 'x = 2\n' }
        ]
      },
      files: {}
    })),
    startRegrade: jest.fn().mockResolvedValue(running),
    regrade: jest
      .fn()
      .mockResolvedValueOnce({ ...running, done: 2 })
      .mockResolvedValue({
        ...running,
        done: 3,
        changed: 1,
        failed: 1,
        error:
          '1 submission(s) could not be regraded (their results are unchanged)',
        status: 'finished'
      }),
    gradebook: jest.fn().mockResolvedValue('learner,challenge\n')
  };
}

/** A rendermime registry whose Vega-Lite renderer records what it drew. */
function fakeRendermime(drawn: unknown[]): IRenderMimeRegistry {
  return {
    mimeTypes: [VEGALITE_MIME],
    createRenderer: () => {
      const widget = new Widget();
      (widget as any).renderModel = async (model: any) => {
        drawn.push(model.data[VEGALITE_MIME]);
        const svg = document.createElementNS(
          'http://www.w3.org/2000/svg',
          'svg'
        );
        widget.node.appendChild(svg);
      };
      return widget;
    }
  } as unknown as IRenderMimeRegistry;
}

describe('the dashboard model', () => {
  it('polls the matrix only while visible', async () => {
    jest.useFakeTimers();
    try {
      const client = fakeInstructorClient();
      const model = new DashboardModel({ client, pollMs: 1000 });
      model.setVisible(true);
      expect(client.classMatrix).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(3000);
      expect(client.classMatrix).toHaveBeenCalledTimes(4);
      model.setVisible(false);
      jest.advanceTimersByTime(5000);
      expect(client.classMatrix).toHaveBeenCalledTimes(4);
      expect(model.polling).toBe(false);
      model.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('opens a learner with the newest two attempts shown and compared', async () => {
    const client = fakeInstructorClient();
    const model = new DashboardModel({ client, pollMs: 0 });
    await model.refresh();
    await model.openLearner('alice');
    expect(client.learnerSubmissions).toHaveBeenCalledWith('alice', 'fizz');
    expect([model.selected, model.compared]).toEqual(['s2', 's1']);
    expect(model.loaded('s1')?.code).toBe('# In [1]\nx = 1\n');
    expect(model.tab).toBe('learner');
    // Showing the compared attempt swaps the two: a diff stays on screen.
    await model.select('s1', 'selected');
    expect([model.selected, model.compared]).toEqual(['s1', 's2']);
    model.dispose();
  });

  it('follows a regrade to its end, then reloads the matrix', async () => {
    const client = fakeInstructorClient();
    const model = new DashboardModel({ client, pollMs: 0, regradePollMs: 1 });
    const seen: string[] = [];
    model.changed.connect(() => {
      if (model.regradeJob) {
        seen.push(`${model.regradeJob.done}/${model.regradeJob.total}`);
      }
    });
    const job = await model.regrade({ challenge: 'fizz', latest: true });
    expect(client.startRegrade).toHaveBeenCalledWith({
      challenge: 'fizz',
      latest: true
    });
    expect(job?.status).toBe('finished');
    expect(seen).toEqual(expect.arrayContaining(['0/3', '2/3', '3/3']));
    expect(client.classMatrix).toHaveBeenCalled();
    model.dispose();
  });
});

describe('the dashboard components', () => {
  it('sorts from the header buttons and opens a learner from a cell', async () => {
    const client = fakeInstructorClient();
    const model = new DashboardModel({ client, pollMs: 0 });
    await model.refresh();
    const { container } = await render(
      <Dashboard model={model} rendermime={fakeRendermime([])} trans={trans} />
    );
    const rows = () =>
      Array.from(container.querySelectorAll('tbody tr')).map(r =>
        r.getAttribute('data-learner')
      );
    expect(rows()).toEqual(['alice', 'bob', 'Carla', 'dan']);
    await click(container.querySelector('[data-sort-key="total"]'));
    expect(rows()).toEqual(['alice', 'Carla', 'bob', 'dan']);
    const header = container
      .querySelector('[data-sort-key="total"]')!
      .closest('th')!;
    expect(header.getAttribute('aria-sort')).toBe('descending');
    await changeValue(container.querySelector('input[type="search"]'), 'da');
    expect(rows()).toEqual(['dan']);
    expect(container.textContent).toContain('1 of 4 learners shown');

    await click(button(container, 'dan'));
    await waitFor(() =>
      expect(
        container.querySelector('.jp-codequest-attempt-diff')
      ).not.toBeNull()
    );
    expect(
      container.querySelector('[role="tab"][aria-selected="true"]')!.textContent
    ).toBe('Attempts: dan');
    const diff = container.querySelector('.jp-codequest-attempt-diff')!;
    expect(diff.querySelector('del')!.textContent).toBe('- x = 1');
    expect(diff.querySelector('ins')!.textContent).toBe('+ x = 2');
    // Hidden tests' details are shown to instructors.
    expect(container.textContent).toContain('assert 10 == 11');
    expect(
      container.querySelector(
        '.jp-codequest-attempt-results .jp-codequest-tag'
      )!.textContent
    ).toBe('hidden');
    model.dispose();
  });

  it('draws the charts through the Vega-Lite renderer, with the data as tables', async () => {
    const client = fakeInstructorClient();
    const model = new DashboardModel({ client, pollMs: 0, regradePollMs: 1 });
    await model.refresh();
    await model.openChallenge('fizz');
    const drawn: unknown[] = [];
    const { container } = await render(
      <ChallengeView
        model={model}
        rendermime={fakeRendermime(drawn)}
        trans={trans}
      />
    );
    await flush();
    expect(drawn).toHaveLength(3);
    expect(container.querySelectorAll('.jp-codequest-chart svg')).toHaveLength(
      3
    );
    const failures = container.querySelector('.jp-codequest-failures tbody')!;
    // Worst first, its most common message listed.
    expect(failures.querySelector('tr')!.getAttribute('data-test-id')).toBe(
      'hidden/t.py::test_big'
    );
    expect(failures.textContent).toContain('67% (4 of 6)');
    expect(failures.textContent).toContain('assert 10 == 11 ×3');

    await click(button(container, 'Regrade latest per learner'));
    await waitFor(
      () =>
        expect(
          container.querySelector('.jp-codequest-regrade-status')!.textContent
        ).toBe(
          'Regrade done: 2 of 3 regraded, 1 changed. 1 submission(s) could ' +
            'not be regraded (their results are unchanged)'
        ),
      5000
    );
    expect(client.startRegrade).toHaveBeenCalledWith({
      challenge: 'fizz',
      latest: true
    });
    model.dispose();
  }, 20000);

  it('regrades one learner only once one is chosen', async () => {
    const client = fakeInstructorClient();
    const model = new DashboardModel({ client, pollMs: 0, regradePollMs: 1 });
    await model.refresh();
    await model.openChallenge('fizz');
    const { container } = await render(
      <ChallengeView
        model={model}
        rendermime={fakeRendermime([])}
        trans={trans}
      />
    );
    const one = button(container, "Regrade this learner's");
    expect(one.disabled).toBe(true);
    await changeValue(
      container.querySelector('.jp-codequest-regrade-learner'),
      'bob'
    );
    await click(one);
    expect(client.startRegrade).toHaveBeenCalledWith({
      challenge: 'fizz',
      learner: 'bob'
    });
    model.dispose();
    model.dispose();
  });

  it('says when a learner has no attempts at the chosen challenge', async () => {
    const client = fakeInstructorClient();
    client.learnerSubmissions.mockResolvedValue({ submissions: [], total: 0 });
    const model = new DashboardModel({ client, pollMs: 0 });
    await model.refresh();
    await model.openLearner('Carla', 'fizz');
    const { container } = await render(
      <AttemptsView model={model} trans={trans} />
    );
    expect(container.textContent).toContain('No submissions of fizz by Carla.');
    model.dispose();
  });

  it('shows the error of a failed matrix fetch', async () => {
    const client = fakeInstructorClient();
    client.classMatrix.mockRejectedValue(
      new Error('Only instructors can do this')
    );
    const model = new DashboardModel({ client, pollMs: 0 });
    await model.refresh();
    const { container } = await render(
      <ClassMatrix model={model} trans={trans} />
    );
    expect(container.textContent).toBe('Only instructors can do this');
    model.dispose();
  });
});

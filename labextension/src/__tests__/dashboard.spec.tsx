/**
 * The instructors' dashboard: the model's polling, attempts and regrade
 * progress, and the components over a fake client (the pure parts are
 * `dashboardData.spec.ts`).
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import React from 'react';

import { AttemptsView } from '../instructor/AttemptsView';
import { VEGALITE_MIME } from '../instructor/charts';
import { ChallengeView } from '../instructor/ChallengeView';
import { ClassMatrix } from '../instructor/ClassMatrix';
import { Dashboard } from '../instructor/Dashboard';
import { DashboardModel } from '../instructor/model';
import { fakeInstructorClient } from './dashboardFixtures';
import {
  button,
  changeValue,
  click,
  flush,
  render,
  trans,
  waitFor
} from './utils';

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

/**
 * The History tab of the Tests panel: the list and its chart, one
 * submission in full, and restoring one with its undo.
 */

import { setup } from './panelSetup';
import {
  button,
  click,
  detail,
  fakeClient,
  FakeEventSource,
  fakeHost,
  flush,
  gradeResult,
  summary,
  testResult
} from './utils';

beforeEach(() => {
  FakeEventSource.instances = [];
});

describe('History', () => {
  const now = new Date();
  const at = (minutesAgo: number) =>
    new Date(now.getTime() - minutesAgo * 60000).toISOString();
  const entries = [
    summary('s3', at(1), 4, 4, 'passed'),
    summary('s2', at(10), 2, 4, 'failed'),
    summary('s1', at(20), 0, 0, 'error')
  ];

  async function history(host = fakeHost()) {
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue(detail()),
      listSubmissions: jest
        .fn()
        .mockResolvedValue({ submissions: entries, total: 3 }),
      getSubmission: jest.fn().mockResolvedValue(
        gradeResult(
          [
            testResult('tests/t.py::a', 'passed'),
            testResult('tests/t.py::b', 'failed', {
              expected: '1',
              actual: '2'
            })
          ],
          {
            id: 's2',
            mode: 'submit'
          }
        )
      ),
      restore: jest.fn().mockResolvedValue({
        path: 'codequest/two-sum/two_sum.ipynb',
        checkpoint: { id: 'checkpoint', last_modified: '2026-11-24T14:40:00Z' }
      })
    });
    const view = await setup({ client, host });
    await click(view.container.querySelector('#jp-codequest-tab-history'));
    return view;
  }

  it('lists submissions newest first with status, score and duration', async () => {
    const { container, client } = await history();
    expect(client.listSubmissions).toHaveBeenCalledWith('two-sum', 50, 0);
    const items = Array.from(
      container.querySelectorAll('[data-submission-id]')
    );
    expect(items.map(i => i.getAttribute('data-submission-id'))).toEqual([
      's3',
      's2',
      's1'
    ]);
    expect(items[0].querySelector('.jp-codequest-status')!.textContent).toBe(
      '✓'
    );
    expect(items[1].querySelector('.jp-codequest-status')!.textContent).toBe(
      '✗'
    );
    expect(items[2].querySelector('.jp-codequest-status')!.textContent).toBe(
      '⚠'
    );
    expect(
      items[1].querySelector('.jp-codequest-history-score')!.textContent
    ).toBe('2/4');
    expect(
      items[1].querySelector('.jp-codequest-history-duration')!.textContent
    ).toBe('1.5 s');
    expect(
      items[0].querySelector('.jp-codequest-history-when')!.textContent
    ).toMatch(/^(today|yesterday) \d\d:\d\d$/);
  });

  it('charts the score over attempts, oldest first', async () => {
    const { container } = await history();
    const chart = container.querySelector('svg.jp-codequest-chart')!;
    expect(chart.getAttribute('aria-label')).toBe(
      'Share of tests passed by attempt: 0 test runs, 3 submissions'
    );
    const points = Array.from(
      chart.querySelectorAll('.jp-codequest-chart-point')
    );
    expect(points.map(p => p.getAttribute('data-score'))).toEqual([
      '0/0',
      '2/4',
      '4/4'
    ]);
    // Submissions are squares (x, y: the corner 4 px off the centre).
    const xs = points.map(p => Number(p.getAttribute('x')));
    const ys = points.map(p => Number(p.getAttribute('y')));
    expect(xs[0]).toBeLessThan(xs[1]);
    expect(xs[1]).toBeLessThan(xs[2]);
    // Higher scores sit higher (smaller y).
    expect(ys[2]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[0]);
    expect(
      chart.querySelector('polyline')!.getAttribute('points')!.split(' ')
    ).toHaveLength(3);
  });

  it('shows a selected submission in full', async () => {
    const { container, client } = await history();
    await click(container.querySelector('[data-submission-id="s2"] button'));
    await flush();
    expect(client.getSubmission).toHaveBeenCalledWith('s2');
    expect(
      container.querySelector('.jp-codequest-summary')!.textContent
    ).toContain('1/2 passed');
    // The failure comes first and is open already.
    const rows = Array.from(
      container.querySelectorAll('.jp-codequest-selected [data-test-id]')
    );
    expect(rows.map(r => r.getAttribute('data-test-id'))).toEqual([
      'tests/t.py::b',
      'tests/t.py::a'
    ]);
    expect(container.querySelector('.jp-codequest-expected')!.textContent).toBe(
      '1'
    );
    await click(
      container.querySelector('[data-test-id="tests/t.py::b"] button')
    );
    expect(container.querySelector('.jp-codequest-expected')).toBeNull();
    await click(button(container, '← All submissions'));
    expect(container.querySelectorAll('[data-submission-id]')).toHaveLength(3);
  });

  it('restores after confirmation, reverts the notebook, and can undo', async () => {
    const host = fakeHost(true);
    const { container, client, notebook } = await history(host);
    await click(container.querySelector('[data-submission-id="s2"] button'));
    await flush();
    await click(button(container, 'Restore'));
    await flush();
    expect(host.confirm).toHaveBeenCalled();
    expect(notebook.save).toHaveBeenCalled();
    expect(client.restore).toHaveBeenCalledWith('s2');
    expect(notebook.revert).toHaveBeenCalledTimes(1);
    expect(notebook.save.mock.invocationCallOrder[0]).toBeLessThan(
      client.restore.mock.invocationCallOrder[0]
    );
    expect(client.restore.mock.invocationCallOrder[0]).toBeLessThan(
      notebook.revert.mock.invocationCallOrder[0]
    );
    expect(container.textContent).toContain(
      'Restored the submission into codequest/two-sum/two_sum.ipynb.'
    );

    host.listCheckpoints.mockResolvedValue([
      { id: 'checkpoint', last_modified: '2026-11-24T14:40:00.000Z' }
    ]);
    await click(button(container, 'Undo restore'));
    await flush();
    expect(host.restoreCheckpoint).toHaveBeenCalledWith(
      'codequest/two-sum/two_sum.ipynb',
      'checkpoint'
    );
    expect(notebook.revert).toHaveBeenCalledTimes(2);
    expect(container.textContent).toContain('Undid the restore');
    expect(() => button(container, 'Undo restore')).toThrow();
  });

  it('does nothing when the restore is not confirmed', async () => {
    const host = fakeHost(false);
    const { container, client, notebook } = await history(host);
    await click(container.querySelector('[data-submission-id="s2"] button'));
    await flush();
    await click(button(container, 'Restore'));
    await flush();
    expect(client.restore).not.toHaveBeenCalled();
    expect(notebook.revert).not.toHaveBeenCalled();
  });

  it('refuses to undo onto a checkpoint a later save replaced', async () => {
    const host = fakeHost(true);
    const { container, notebook } = await history(host);
    await click(container.querySelector('[data-submission-id="s2"] button'));
    await flush();
    await click(button(container, 'Restore'));
    await flush();
    host.listCheckpoints.mockResolvedValue([
      { id: 'checkpoint', last_modified: '2026-11-24T15:00:00Z' }
    ]);
    await click(button(container, 'Undo restore'));
    await flush();
    expect(host.restoreCheckpoint).not.toHaveBeenCalled();
    expect(notebook.revert).toHaveBeenCalledTimes(1);
    expect(container.textContent).toContain(
      'a later save replaced its checkpoint'
    );
  });
});

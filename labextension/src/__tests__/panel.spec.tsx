import { Widget } from '@lumino/widgets';
import React from 'react';

import { TestsPanel } from '../components/TestsPanel';
import {
  button,
  click,
  detail,
  fakeClient,
  FakeEventSource,
  fakeHost,
  fakeNotebook,
  flush,
  gradeResult,
  makeModel,
  render,
  summary,
  testResult,
  trans,
  waitFor
} from './utils';

/** Stands in for IRenderMimeRegistry: renders markdown as plain text. */
function fakeRendermime() {
  const models: any[] = [];
  return {
    models,
    createModel: jest.fn((options: any) => {
      models.push(options);
      return options;
    }),
    createRenderer: jest.fn(() => {
      const widget = new Widget();
      (widget as any).renderModel = (model: any) => {
        widget.node.textContent = `rendered:${model.data['text/markdown']}`;
        return Promise.resolve();
      };
      return widget;
    })
  } as any;
}

async function setup(
  options: {
    client?: ReturnType<typeof fakeClient>;
    host?: ReturnType<typeof fakeHost>;
    stream?: boolean;
  } = {}
) {
  const client =
    options.client ??
    fakeClient({ getChallenge: jest.fn().mockResolvedValue(detail()) });
  const host = options.host ?? fakeHost();
  const model = makeModel(
    client,
    host,
    options.stream === false
      ? { eventSource: null }
      : { eventSource: url => new FakeEventSource(url) }
  );
  await model.checkServer();
  const notebook = fakeNotebook();
  model.setCurrent(notebook);
  const onOpenChallenge = jest.fn();
  const rendermime = fakeRendermime();
  const view = await render(
    <TestsPanel
      model={model}
      rendermime={rendermime}
      trans={trans}
      onOpenChallenge={onOpenChallenge}
      onBrowse={jest.fn()}
    />
  );
  await flush();
  return {
    ...view,
    client,
    host,
    model,
    notebook,
    onOpenChallenge,
    rendermime
  };
}

function rowStatus(container: HTMLElement, id: string): string | null {
  const row = container.querySelector(`[data-test-id="${id}"]`);
  if (!row) {
    return null;
  }
  const cls = Array.from(row.classList).find(
    c => c.startsWith('jp-codequest-test-') && c !== 'jp-codequest-test'
  );
  return cls ? cls.replace('jp-codequest-test-', '') : null;
}

function progressLabel(container: HTMLElement): string | undefined {
  return (
    container.querySelector('.jp-codequest-progress-label')?.textContent ??
    undefined
  );
}

beforeEach(() => {
  FakeEventSource.instances = [];
});

describe('TestsPanel', () => {
  it('asks for a challenge notebook when none is open', async () => {
    const model = makeModel(fakeClient());
    await model.checkServer();
    const onBrowse = jest.fn();
    const { container } = await render(
      <TestsPanel
        model={model}
        rendermime={fakeRendermime()}
        trans={trans}
        onOpenChallenge={jest.fn()}
        onBrowse={onBrowse}
      />
    );
    expect(container.textContent).toContain('Open a challenge notebook');
    await click(button(container, 'Browse challenges'));
    expect(onBrowse).toHaveBeenCalled();
  });

  it('shows the public tests before any run', async () => {
    const { container } = await setup();
    expect(container.querySelector('h2')!.textContent).toBe('Two Sum');
    expect(
      Array.from(container.querySelectorAll('.jp-codequest-test-name')).map(
        n => n.textContent
      )
    ).toEqual(['test_basic', 'test_empty']);
    expect(container.textContent).toContain(
      'Submit also runs 1 hidden test file.'
    );
  });

  it('saves, submits, and fills in each row as its result streams in', async () => {
    const { container, client, notebook } = await setup();
    await click(button(container, 'Run tests'));
    await flush();
    expect(notebook.save).toHaveBeenCalledTimes(1);
    expect(client.submit).toHaveBeenCalledWith('two-sum', {
      mode: 'run',
      path: 'codequest/two-sum/two_sum.ipynb'
    });
    expect(notebook.save.mock.invocationCallOrder[0]).toBeLessThan(
      client.submit.mock.invocationCallOrder[0]
    );
    const es = FakeEventSource.instances[0];
    expect(es.url).toContain('submissions/sub1/events');
    // aria-disabled, so the pressed button keeps the focus.
    expect(button(container, 'Run tests').getAttribute('aria-disabled')).toBe(
      'true'
    );
    expect(progressLabel(container)).toBe('Running your notebook…');

    const ids = [
      'tests/t.py::test_a',
      'tests/t.py::test_b',
      'tests/t.py::test_c'
    ];
    await flushAct(() =>
      es.emit('collected', {
        total: 3,
        tests: ids.map(id => ({
          id,
          name: id.split('::')[1],
          hidden: false,
          max_points: 1
        }))
      })
    );
    expect(progressLabel(container)).toBe('0 of 3 tests');
    expect(ids.map(id => rowStatus(container, id))).toEqual([
      'pending',
      'pending',
      'pending'
    ]);
    const bar = container.querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('3');

    await flushAct(() =>
      es.emit(
        'test',
        testResult(ids[1], 'failed', { message: 'assert 1 == 2' })
      )
    );
    expect(progressLabel(container)).toBe('1 of 3 tests');
    expect(ids.map(id => rowStatus(container, id))).toEqual([
      'pending',
      'failed',
      'pending'
    ]);
    expect(bar.getAttribute('aria-valuenow')).toBe('1');

    await flushAct(() => es.emit('test', testResult(ids[0], 'passed')));
    expect(progressLabel(container)).toBe('2 of 3 tests');
    expect(ids.map(id => rowStatus(container, id))).toEqual([
      'passed',
      'failed',
      'pending'
    ]);

    const final = gradeResult(
      [
        testResult(ids[0], 'passed'),
        testResult(ids[1], 'failed'),
        testResult(ids[2], 'passed')
      ],
      { duration_ms: 412 }
    );
    client.listSubmissions.mockResolvedValue({
      submissions: [summary('sub1', final.submitted_at, 2, 3)],
      total: 1
    });
    await flushAct(() => es.emit('result', final));
    await flush();
    expect(container.querySelector('.jp-codequest-progress')).toBeNull();
    expect(
      container.querySelector('.jp-codequest-summary')!.textContent
    ).toContain('2/3 passed · 2/3 points · 0.4 s');
    expect(ids.map(id => rowStatus(container, id))).toEqual([
      'passed',
      'failed',
      'passed'
    ]);
    expect(container.textContent).not.toContain('Challenge completed');
    expect(button(container, 'Run tests').getAttribute('aria-disabled')).toBe(
      'false'
    );
    // The history and the challenge (progress, hints) are reloaded.
    expect(client.listSubmissions).toHaveBeenCalledTimes(2);
    expect(client.getChallenge).toHaveBeenCalledTimes(2);
    expect(container.textContent).toContain('History (1)');
  });

  it('says why a submission waits, until its rows stream in', async () => {
    const { container } = await setup();
    await click(button(container, 'Run tests'));
    await flush();
    const es = FakeEventSource.instances[0];
    await flushAct(() => es.emit('status', { status: 'queued' }));
    expect(progressLabel(container)).toBe('Running your notebook…');
    const message =
      'No grading worker is running right now. Your submission is saved and will be graded as soon as one starts.';
    await flushAct(() => es.emit('status', { status: 'queued', message }));
    expect(progressLabel(container)).toBe(message);
    const bar = container.querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuetext')).toBe(message);
    // A worker starts: the message goes, then the rows come.
    await flushAct(() => es.emit('status', { status: 'running' }));
    expect(progressLabel(container)).toBe('Running your notebook…');
    await flushAct(() => es.emit('status', { status: 'queued', message }));
    const id = 'tests/t.py::test_a';
    await flushAct(() =>
      es.emit('collected', {
        total: 1,
        tests: [{ id, name: 'test_a', hidden: false, max_points: 1 }]
      })
    );
    expect(progressLabel(container)).toBe('0 of 1 tests');
    expect(container.textContent).not.toContain(message);
    expect(rowStatus(container, id)).toBe('pending');
  });

  it('celebrates a passing submission and offers the next challenge', async () => {
    const { container, client, onOpenChallenge, model } = await setup({
      stream: false
    });
    const final = gradeResult(
      [
        testResult('tests/t.py::a', 'passed'),
        testResult('hidden/h.py::b', 'passed')
      ],
      {
        mode: 'submit'
      }
    );
    client.getSubmission.mockResolvedValue(final);
    expect(model.settings.confetti).toBe(true);
    await click(button(container, 'Submit'));
    await waitFor(() =>
      expect(container.textContent).toContain('Challenge completed')
    );
    expect(client.submit).toHaveBeenCalledWith('two-sum', {
      mode: 'submit',
      path: 'codequest/two-sum/two_sum.ipynb'
    });
    expect(
      container.querySelectorAll('.jp-codequest-confetti-piece').length
    ).toBeGreaterThan(10);
    expect(
      container.querySelector(
        '[data-test-id="hidden/h.py::b"] .jp-codequest-badge'
      )!.textContent
    ).toBe('hidden');
    await click(button(container, 'Next challenge'));
    expect(onOpenChallenge).toHaveBeenCalledWith('balanced-brackets');
    await click(button(container, 'Dismiss'));
    expect(container.textContent).not.toContain('Challenge completed');
  });

  it('leaves the confetti out when the setting is off', async () => {
    const { container, client, model } = await setup({ stream: false });
    await flushAct(() => model.updateSettings({ confetti: false }));
    client.getSubmission.mockResolvedValue(
      gradeResult([testResult('tests/t.py::a', 'passed')], { mode: 'submit' })
    );
    await click(button(container, 'Submit'));
    await waitFor(() =>
      expect(container.textContent).toContain('Challenge completed')
    );
    expect(container.querySelector('.jp-codequest-confetti')).toBeNull();
  });

  it('does not celebrate a passing test run', async () => {
    const { container, client } = await setup({ stream: false });
    client.getSubmission.mockResolvedValue(
      gradeResult([testResult('tests/t.py::a', 'passed')], { mode: 'run' })
    );
    await click(button(container, 'Run tests'));
    await waitFor(() =>
      expect(container.querySelector('.jp-codequest-summary')).not.toBeNull()
    );
    expect(container.textContent).not.toContain('Challenge completed');
  });

  it('sends the editor copy without saving when auto-save is off', async () => {
    const { container, client, notebook, model } = await setup({
      stream: false
    });
    await flushAct(() => model.updateSettings({ autoSave: false }));
    client.getSubmission.mockResolvedValue(
      gradeResult([testResult('tests/t.py::a', 'passed')])
    );
    await click(button(container, 'Run tests'));
    await flush();
    expect(notebook.save).not.toHaveBeenCalled();
    expect(client.submit).toHaveBeenCalledWith('two-sum', {
      mode: 'run',
      notebook: { cells: [], nbformat: 4 }
    });
  });

  it('says why the tests could not start', async () => {
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue(detail()),
      submit: jest
        .fn()
        .mockRejectedValue(new Error('Too many submissions; wait 5 s'))
    });
    const { container } = await setup({ client });
    await click(button(container, 'Run tests'));
    await flush();
    const alert = container.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain('Could not start the tests');
    expect(alert.textContent).toContain('Too many submissions; wait 5 s');
    expect(button(container, 'Run tests').disabled).toBe(false);
  });

  it('jumps to the failing cell from the error banner', async () => {
    const { container, client, notebook } = await setup({ stream: false });
    client.getSubmission.mockResolvedValue(
      gradeResult([], {
        status: 'error',
        total: 0,
        score: 0,
        error: {
          kind: 'timeout',
          message: 'Cell 5 ran longer than 10 s.',
          cell: 4
        }
      })
    );
    await click(button(container, 'Run tests'));
    await waitFor(() =>
      expect(container.querySelector('[role="alert"]')).not.toBeNull()
    );
    expect(container.querySelector('[role="alert"]')!.textContent).toContain(
      'Your code took too long'
    );
    await click(button(container, 'cell 5'));
    expect(notebook.activateCell).toHaveBeenCalledWith(4);
  });

  it('shows unlocked hints on request and counts the locked ones', async () => {
    const { container } = await setup();
    expect(container.textContent).not.toContain('Use a dict.');
    expect(container.textContent).toContain(
      '2 more hints unlock after more attempts.'
    );
    await click(button(container, 'Show hint'));
    // Markdown through rendermime, untrusted (sanitized), not raw text.
    expect(container.querySelector('.jp-codequest-hint')!.textContent).toBe(
      'rendered:Use a dict.'
    );
    // Only one hint is unlocked: no button for another.
    expect(() => button(container, 'Show another hint')).toThrow();
  });

  it('renders the description through the rendermime registry, untrusted', async () => {
    const { container, rendermime } = await setup();
    await click(container.querySelector('#jp-codequest-tab-description'));
    await flush();
    expect(rendermime.createRenderer).toHaveBeenCalledWith('text/markdown');
    expect(rendermime.models[0]).toEqual({
      data: { 'text/markdown': '# Two Sum\n\nFind two numbers.' },
      trusted: false
    });
    expect(container.querySelector('.jp-codequest-markdown')!.textContent).toBe(
      'rendered:# Two Sum\n\nFind two numbers.'
    );
    expect(
      container.querySelector('.jp-codequest-test-source summary')!.textContent
    ).toBe('tests/test_two_sum.py');
  });

  it('moves between tabs with the arrow keys', async () => {
    const { container } = await setup();
    const tests = container.querySelector(
      '#jp-codequest-tab-tests'
    ) as HTMLButtonElement;
    await flushAct(() =>
      tests.dispatchEvent(
        new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })
      )
    );
    const description = container.querySelector(
      '#jp-codequest-tab-description'
    )!;
    expect(description.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(description);
  });
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

async function flushAct(fn: () => void): Promise<void> {
  const { act } = await import('react');
  await act(async () => {
    fn();
  });
}

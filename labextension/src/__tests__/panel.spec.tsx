/**
 * The Tests panel: its Tests and Description tabs, a run from start to
 * result, the celebration, hints and the keyboard (the History tab is
 * `history.spec.tsx`).
 */

import React from 'react';

import { TestsPanel } from '../components/TestsPanel';
import { fakeRendermime, setup } from './panelSetup';
import {
  button,
  click,
  detail,
  fakeClient,
  FakeEventSource,
  flush,
  gradeResult,
  makeModel,
  render,
  summary,
  testResult,
  trans,
  waitFor
} from './utils';

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

async function flushAct(fn: () => void): Promise<void> {
  const { act } = await import('react');
  await act(async () => {
    fn();
  });
}

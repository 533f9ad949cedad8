import { Widget } from '@lumino/widgets';
import React from 'react';

import { ResultView } from '../components/TestResults';
import { TestsPanel } from '../components/TestsPanel';
import {
  cellErrorKind,
  cellErrorSentence,
  firstFailureId,
  orderForReading,
  outputWasTruncated,
  passedWithWarnings
} from '../outcome';
import {
  button,
  click,
  detail,
  fakeClient,
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

const rendermime = {
  createModel: (options: any) => options,
  createRenderer: () =>
    Object.assign(new Widget(), { renderModel: () => Promise.resolve() })
} as any;

describe('reading order', () => {
  it('puts failures first, then not run, skipped and passed, keeping run order within each', () => {
    const tests = [
      testResult('a', 'passed'),
      testResult('b', 'failed'),
      testResult('c', 'skipped'),
      testResult('d', 'timeout'),
      testResult('e', 'not_run'),
      testResult('f', 'error'),
      testResult('g', 'passed')
    ];
    expect(orderForReading(tests).map(t => t.id)).toEqual([
      'b',
      'd',
      'f',
      'e',
      'c',
      'a',
      'g'
    ]);
    expect(firstFailureId(orderForReading(tests))).toBe('b');
    expect(firstFailureId([testResult('a', 'passed')])).toBeNull();
  });

  it('lists a result failures first with only the first failure expanded', async () => {
    const result = gradeResult([
      testResult('tests/t.py::ok', 'passed'),
      testResult('tests/t.py::bad', 'failed', { message: 'assert 1 == 2' }),
      testResult('tests/t.py::worse', 'error', { message: 'boom' })
    ]);
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    const rows = Array.from(container.querySelectorAll('[data-test-id]'));
    expect(rows.map(r => r.getAttribute('data-test-id'))).toEqual([
      'tests/t.py::bad',
      'tests/t.py::worse',
      'tests/t.py::ok'
    ]);
    const expanded = rows.map(
      r =>
        r.querySelector('[aria-expanded]')?.getAttribute('aria-expanded') ??
        null
    );
    expect(expanded).toEqual(['true', 'false', null]);
    expect(container.textContent).toContain('assert 1 == 2');
    expect(container.textContent).not.toContain('boom');
  });
});

describe('cell errors', () => {
  const timeout = {
    cell: 2,
    ename: 'TimeoutError',
    evalue: 'Cell execution timed out',
    kind: 'timeout'
  };
  const raised = {
    cell: 4,
    ename: 'NameError',
    evalue: "name 'x' is not defined",
    kind: 'exception'
  };
  const stored = { cell: 1, ename: 'ValueError', evalue: 'bad' }; // before `kind` existed

  it('reads a missing kind as an exception', () => {
    expect(cellErrorKind(timeout)).toBe('timeout');
    expect(cellErrorKind(raised)).toBe('exception');
    expect(cellErrorKind(stored)).toBe('exception');
    expect(cellErrorKind({ ...stored, kind: 'something new' })).toBe(
      'exception'
    );
  });

  it('says what happened to each cell, 1-based', () => {
    expect(cellErrorSentence(timeout, trans, 5)).toBe(
      'cell 3 of the notebook timed out after 5 s and was interrupted'
    );
    expect(cellErrorSentence(timeout, trans)).toBe(
      'cell 3 of the notebook timed out and was interrupted'
    );
    expect(cellErrorSentence(stored, trans)).toBe(
      'cell 2 of the notebook raised ValueError: bad'
    );
  });

  it('turns an all-passed result with a looping cell into a passed headline, not a failure', async () => {
    const result = gradeResult(
      [
        testResult('tests/t.py::a', 'passed'),
        testResult('tests/t.py::b', 'passed')
      ],
      { status: 'passed', cell_errors: [timeout] }
    );
    expect(passedWithWarnings(result, trans, 5)).toBe(
      'All tests passed · cell 3 of the notebook timed out after 5 s and was interrupted'
    );
    const onJump = jest.fn();
    const { container } = await render(
      <ResultView
        result={result}
        limits={{ timeout_s: 2, cell_timeout_s: 5 }}
        onJumpToCell={onJump}
        trans={trans}
      />
    );
    const summaryText = container.querySelector('.jp-codequest-summary-text')!;
    expect(summaryText.classList).toContain('jp-codequest-tone-pass');
    // A warning (status), not the blocking error banner (alert).
    const warning = container.querySelector('.jp-codequest-cell-errors')!;
    expect(warning.getAttribute('role')).toBe('status');
    expect(container.querySelector('[role="alert"]')).toBeNull();
    expect(warning.textContent).toContain(
      'All tests passed · cell 3 of the notebook timed out after 5 s and was interrupted'
    );
    await click(warning.querySelector('button'));
    expect(onJump).toHaveBeenCalledWith(2);
  });

  it('lists exceptions of older results as before', async () => {
    const result = gradeResult([testResult('tests/t.py::a', 'failed')], {
      cell_errors: [stored]
    });
    expect(passedWithWarnings(result, trans)).toBeNull();
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    const warning = container.querySelector('.jp-codequest-cell-errors')!;
    expect(warning.textContent).toContain(
      'A cell raised an error while your notebook ran'
    );
    expect(
      warning.querySelector('.jp-codequest-cell-error-exception')!.textContent
    ).toBe('cell 2 of the notebook raised ValueError: bad');
  });
});

describe('truncated output', () => {
  it('is false when the fields are absent', () => {
    expect(outputWasTruncated(gradeResult([testResult('a', 'passed')]))).toBe(
      false
    );
    expect(
      outputWasTruncated(
        gradeResult([testResult('a', 'passed', { output_truncated: true })])
      )
    ).toBe(true);
    expect(
      outputWasTruncated(gradeResult([], { output_truncated: true }))
    ).toBe(true);
  });

  it('is told under the test output and in the summary', async () => {
    const result = gradeResult(
      [
        testResult('tests/t.py::loud', 'failed', {
          output: 'x'.repeat(20),
          output_truncated: true
        }),
        testResult('tests/t.py::quiet', 'passed', { output: 'hello' })
      ],
      { output_truncated: true }
    );
    const { container } = await render(
      <ResultView result={result} limits={{ output_kb: 64 }} trans={trans} />
    );
    expect(
      container.querySelector('.jp-codequest-summary')!.textContent
    ).toContain('Some output was cut at 64 kB per test.');
    const loud = container.querySelector('[data-test-id="tests/t.py::loud"]')!;
    expect(loud.querySelector('.jp-codequest-truncated')!.textContent).toBe(
      'Output truncated at 64 kB: the rest of what this test printed was not kept.'
    );
    await click(
      container.querySelector('[data-test-id="tests/t.py::quiet"] button')
    );
    expect(container.querySelectorAll('.jp-codequest-truncated')).toHaveLength(
      1
    );
  });

  it('says nothing for an older result', async () => {
    const result = gradeResult([
      testResult('tests/t.py::a', 'failed', { output: 'hi' })
    ]);
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    expect(container.textContent).not.toContain('cut');
    expect(container.textContent).not.toContain('truncated');
  });
});

describe('persistence across a reload', () => {
  it('shows the latest finished submission from the history until a run starts', async () => {
    const last = gradeResult([testResult('tests/t.py::a', 'failed')], {
      id: 's2',
      mode: 'run'
    });
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue(detail()),
      listSubmissions: jest.fn().mockResolvedValue({
        submissions: [
          { ...summary('s3', '2026-11-24T15:00:00Z', 0, 0), status: 'running' },
          summary('s2', last.submitted_at, 0, 1)
        ],
        total: 2
      }),
      getSubmission: jest.fn().mockResolvedValue(last)
    });
    const model = makeModel(client, fakeHost(), { eventSource: null });
    await model.checkServer();
    model.setCurrent(fakeNotebook());
    await waitFor(() => expect(model.session!.lastResult).toBe(last));
    // The running one is skipped: only a finished result is shown.
    expect(client.getSubmission).toHaveBeenCalledWith('s2');
    const { container } = await render(
      <TestsPanel
        model={model}
        rendermime={rendermime}
        trans={trans}
        onOpenChallenge={jest.fn()}
        onBrowse={jest.fn()}
      />
    );
    expect(
      container.querySelector('.jp-codequest-last-result')!.textContent
    ).toMatch(/^Your last test run, /);
    expect(
      container.querySelector('[data-test-id="tests/t.py::a"]')
    ).not.toBeNull();

    client.getSubmission.mockResolvedValue(
      gradeResult([testResult('tests/t.py::a', 'passed')])
    );
    await click(button(container, 'Run tests'));
    expect(model.session!.lastResult).toBeNull();
    expect(container.querySelector('.jp-codequest-last-result')).toBeNull();
  });
});

describe('reset to starter', () => {
  async function setup(readError: string | null = null) {
    const host = fakeHost(true);
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue(detail()),
      reset: jest.fn().mockResolvedValue({
        path: 'codequest/two-sum/two_sum.ipynb',
        checkpoint: { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
      })
    });
    const model = makeModel(client, host, { eventSource: null });
    await model.checkServer();
    const notebook = Object.assign(fakeNotebook(), { readError });
    model.setCurrent(notebook);
    await flush();
    return { host, client, model, notebook, session: model.session! };
  }

  it('asks, saves, resets, reverts, and is undone like a restore', async () => {
    const { host, client, notebook, session } = await setup();
    expect(await session.reset(notebook)).toBe(true);
    expect(host.confirm.mock.calls[0][0].title).toBe('Reset to the starter?');
    expect(client.reset).toHaveBeenCalledWith('two-sum');
    expect(notebook.save.mock.invocationCallOrder[0]).toBeLessThan(
      client.reset.mock.invocationCallOrder[0]
    );
    expect(notebook.revert).toHaveBeenCalledTimes(1);
    expect(session.undo).toEqual({
      path: 'codequest/two-sum/two_sum.ipynb',
      submissionId: null,
      checkpoint: { id: 'cp', last_modified: '2026-11-24T14:40:00Z' }
    });
    expect(session.notice!.text).toBe(
      'Reset codequest/two-sum/two_sum.ipynb to the starter.'
    );
    host.listCheckpoints.mockResolvedValue([
      { id: 'cp', last_modified: '2026-11-24T14:40:00.000Z' }
    ]);
    expect(await session.undoRestore(notebook)).toBe(true);
    expect(host.restoreCheckpoint).toHaveBeenCalledWith(
      'codequest/two-sum/two_sum.ipynb',
      'cp'
    );
    expect(session.notice!.text).toBe(
      'Undid the reset: your previous version is back.'
    );
  });

  it('does not save a notebook that could not be read', async () => {
    const { client, notebook, session } = await setup('it is not valid JSON');
    expect(await session.reset(notebook)).toBe(true);
    expect(notebook.save).not.toHaveBeenCalled();
    expect(client.reset).toHaveBeenCalled();
    expect(notebook.revert).toHaveBeenCalled();
  });

  it('offers nothing to undo when there was no file to keep', async () => {
    const { client, notebook, session } = await setup();
    client.reset.mockResolvedValue({
      path: 'codequest/two-sum/two_sum.ipynb',
      checkpoint: null
    });
    expect(await session.reset(notebook)).toBe(true);
    expect(session.undo).toBeNull();
  });

  it('names the unreadable notebook and its challenge in the panel', async () => {
    const { model } = await setup('it is not valid JSON');
    const { container } = await render(
      <TestsPanel
        model={model}
        rendermime={rendermime}
        trans={trans}
        onOpenChallenge={jest.fn()}
        onBrowse={jest.fn()}
      />
    );
    const banner = container.querySelector('.jp-codequest-banner')!;
    expect(banner.textContent).toContain('Cannot read the notebook of Two Sum');
    expect(banner.textContent).toContain('(it is not valid JSON)');
    expect(button(container, 'Run tests').disabled).toBe(true);
  });
});

describe('confetti', () => {
  it('plays once per success, not on every return to the Tests tab', async () => {
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue(detail()),
      getSubmission: jest.fn().mockResolvedValue(
        gradeResult([testResult('tests/t.py::a', 'passed')], {
          mode: 'submit'
        })
      )
    });
    const model = makeModel(client, fakeHost(), { eventSource: null });
    await model.checkServer();
    model.setCurrent(fakeNotebook());
    const { container } = await render(
      <TestsPanel
        model={model}
        rendermime={rendermime}
        trans={trans}
        onOpenChallenge={jest.fn()}
        onBrowse={jest.fn()}
      />
    );
    await click(button(container, 'Submit'));
    await waitFor(() =>
      expect(container.textContent).toContain('Challenge completed')
    );
    expect(
      container.querySelectorAll('.jp-codequest-confetti-piece').length
    ).toBeGreaterThan(10);
    await click(container.querySelector('#jp-codequest-tab-description'));
    await click(container.querySelector('#jp-codequest-tab-tests'));
    expect(container.textContent).toContain('Challenge completed');
    expect(container.querySelector('.jp-codequest-confetti')).toBeNull();
  });
});

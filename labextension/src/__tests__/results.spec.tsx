import React from 'react';

import { Summary } from '../components/Summary';
import { ResultView } from '../components/TestResults';
import { hasDetails, TestName, TestRow } from '../components/TestRow';
import { summaryText } from '../format';
import { click, gradeResult, render, testResult, trans } from './utils';

const XSS = '<img src=x onerror=alert(1)>';

describe('summary', () => {
  it('says passed, points and duration', () => {
    const result = gradeResult([], {
      score: 3,
      total: 4,
      points: 6,
      max_points: 8,
      duration_ms: 412
    });
    expect(summaryText(result, trans)).toBe('3/4 passed · 6/8 points · 0.4 s');
  });

  it('renders the summary with the outcome tone', async () => {
    const result = gradeResult([
      testResult('tests/t.py::a', 'passed'),
      testResult('tests/t.py::b', 'failed')
    ]);
    const { container } = await render(
      <Summary result={result} trans={trans} />
    );
    const node = container.querySelector('.jp-codequest-summary')!;
    expect(node.textContent).toContain('1/2 passed · 1/2 points · 0.4 s');
    expect(
      node.querySelector('.jp-codequest-summary-text')!.classList
    ).toContain('jp-codequest-tone-fail');
  });
});

describe('TestRow', () => {
  it('marks passed, failed and error rows with their glyphs', async () => {
    const result = gradeResult([
      testResult('tests/t.py::ok', 'passed'),
      testResult('tests/t.py::bad', 'failed', { message: 'assert 1 == 2' }),
      testResult('tests/t.py::slow', 'timeout', {
        message: 'took more than 10 s'
      }),
      testResult('tests/t.py::boom', 'error', { message: 'NameError' })
    ]);
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    const glyph = (id: string) =>
      container.querySelector(
        `[data-test-id="tests/t.py::${id}"] .jp-codequest-status`
      )!;
    expect(glyph('ok').textContent).toBe('✓');
    expect(glyph('ok').classList).toContain('jp-codequest-tone-pass');
    expect(glyph('ok').getAttribute('aria-label')).toBe('passed');
    expect(glyph('bad').textContent).toBe('✗');
    expect(glyph('bad').classList).toContain('jp-codequest-tone-fail');
    expect(glyph('slow').textContent).toBe('⚠');
    expect(glyph('slow').classList).toContain('jp-codequest-tone-warn');
    expect(glyph('boom').classList).toContain('jp-codequest-tone-warn');
  });

  it('expands to the message, expected and actual side by side, and output', async () => {
    const row = testResult('tests/t.py::test_add', 'failed', {
      message: 'assert 7 == 5',
      expected: '5',
      actual: '7',
      output: 'debug print'
    });
    const { container } = await render(<TestRow row={row} trans={trans} />);
    const header = container.querySelector('button.jp-codequest-test-header')!;
    expect(header.getAttribute('aria-expanded')).toBe('false');
    expect(container.querySelector('.jp-codequest-diff')).toBeNull();
    await click(header);
    expect(header.getAttribute('aria-expanded')).toBe('true');
    const sides = container.querySelectorAll(
      '.jp-codequest-diff .jp-codequest-diff-side'
    );
    expect(sides).toHaveLength(2);
    expect(
      sides[0].querySelector('.jp-codequest-diff-label')!.textContent
    ).toBe('Expected');
    expect(sides[0].querySelector('pre')!.textContent).toBe('5');
    expect(
      sides[1].querySelector('.jp-codequest-diff-label')!.textContent
    ).toBe('Actual');
    expect(sides[1].querySelector('pre')!.textContent).toBe('7');
    expect(container.querySelector('.jp-codequest-message')!.textContent).toBe(
      'assert 7 == 5'
    );
    expect(container.querySelector('.jp-codequest-output')!.textContent).toBe(
      'debug print'
    );
    await click(header);
    expect(container.querySelector('.jp-codequest-diff')).toBeNull();
  });

  it('shows learner and test text as text, never as markup', async () => {
    const row = testResult(`tests/t.py::${XSS}`, 'failed', {
      name: XSS,
      message: XSS,
      expected: XSS,
      actual: `<script>window.pwned = 1</script>`,
      output: '<b onmouseover=alert(1)>bold</b>'
    });
    const { container } = await render(
      <TestRow row={row} trans={trans} defaultExpanded />
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(
      container.querySelector('.jp-codequest-test-name')!.textContent
    ).toBe(XSS);
    expect(container.querySelector('.jp-codequest-message')!.textContent).toBe(
      XSS
    );
    expect(container.querySelector('.jp-codequest-expected')!.textContent).toBe(
      XSS
    );
    expect(container.querySelector('.jp-codequest-output')!.textContent).toBe(
      '<b onmouseover=alert(1)>bold</b>'
    );
    expect((window as any).pwned).toBeUndefined();
  });

  it('marks hidden tests and explains their missing details', async () => {
    const row = testResult('hidden/test_x.py::test_big', 'failed');
    const { container } = await render(<TestRow row={row} trans={trans} />);
    expect(container.querySelector('.jp-codequest-badge')!.textContent).toBe(
      'hidden'
    );
    await click(container.querySelector('button.jp-codequest-test-header'));
    expect(container.textContent).toContain(
      'The details of hidden tests are not shown.'
    );
  });

  it('keeps a name on one line with the full name as its title', async () => {
    const { container } = await render(
      <TestName name="Sentences.test_ignores_spaces" />
    );
    const name = container.querySelector('.jp-codequest-test-name')!;
    expect(name.getAttribute('title')).toBe('Sentences.test_ignores_spaces');
    expect(name.querySelectorAll('wbr')).toHaveLength(0);
    expect(name.classList).not.toContain('jp-mod-full');
  });

  it('lets a full name wrap after underscores and dots, keeping its text', async () => {
    const { container } = await render(
      <TestName name="Sentences.test_ignores_spaces" full />
    );
    const name = container.querySelector('.jp-codequest-test-name')!;
    expect(name.textContent).toBe('Sentences.test_ignores_spaces');
    expect(name.querySelectorAll('wbr')).toHaveLength(3);
    expect(name.innerHTML).toBe('Sentences.<wbr>test_<wbr>ignores_<wbr>spaces');
  });

  it('shows a pending row without points or an expander', async () => {
    const { container } = await render(
      <TestRow
        row={{
          id: 'a',
          name: 'test_a',
          hidden: false,
          status: 'pending',
          max_points: 2
        }}
        trans={trans}
      />
    );
    expect(container.querySelector('button')).toBeNull();
    expect(container.querySelector('.jp-codequest-status')!.textContent).toBe(
      '…'
    );
    expect(container.querySelector('.jp-codequest-test-points')).toBeNull();
  });
});

describe('hasDetails', () => {
  it('is false for a row with nothing to show when expanded', () => {
    expect(hasDetails(testResult('tests/t.py::a', 'passed'))).toBe(false);
    expect(
      hasDetails(testResult('hidden/t.py::a', 'failed', { message: '' }))
    ).toBe(false);
  });

  it('counts a message, either side of a diff, output and a cut output', () => {
    for (const extra of [
      { message: 'assert 1 == 2' },
      { expected: '' },
      { actual: '3' },
      { output: 'printed' },
      { output_truncated: true }
    ]) {
      expect(hasDetails(testResult('tests/t.py::a', 'failed', extra))).toBe(
        true
      );
    }
  });
});

describe('ResultView', () => {
  it('shows a banner for an error that stopped the tests, linking to the cell', async () => {
    const onJump = jest.fn();
    const result = gradeResult([], {
      status: 'error',
      score: 0,
      total: 0,
      error: {
        kind: 'syntax',
        message: 'Syntax error in cell 3: invalid syntax',
        cell: 2
      }
    });
    const { container } = await render(
      <ResultView result={result} onJumpToCell={onJump} trans={trans} />
    );
    const banner = container.querySelector('[role="alert"]')!;
    expect(banner.textContent).toContain('Your notebook has a syntax error');
    expect(banner.textContent).toContain(
      'Syntax error in cell 3: invalid syntax'
    );
    const link = banner.querySelector('button.jp-codequest-link')!;
    expect(link.textContent).toBe('cell 3');
    await click(link);
    expect(onJump).toHaveBeenCalledWith(2);
  });

  it('lists cells that raised, each a link', async () => {
    const onJump = jest.fn();
    const result = gradeResult([testResult('tests/t.py::a', 'failed')], {
      cell_errors: [
        { cell: 4, ename: 'ZeroDivisionError', evalue: 'division by zero' }
      ]
    });
    const { container } = await render(
      <ResultView result={result} onJumpToCell={onJump} trans={trans} />
    );
    const errors = container.querySelector('.jp-codequest-cell-errors')!;
    expect(errors.textContent).toContain(
      'A cell raised an error while your notebook ran'
    );
    expect(errors.textContent).toContain('ZeroDivisionError: division by zero');
    await click(errors.querySelector('button'));
    expect(onJump).toHaveBeenCalledWith(4);
  });
});

/**
 * Deadlines, late work and submission counts wherever the learner meets
 * them: the Tests panel's header and buttons, a late result, the history and
 * the challenge browser. One job over ~400 lines: every view's specs run on
 * the same fake clock and local time, set up once here.
 */

import { Widget } from '@lumino/widgets';
import React, { act } from 'react';

import { ChallengeBrowser } from '../components/ChallengeBrowser';
import { HistoryList } from '../components/History';
import { ResultView } from '../components/TestResults';
import { TestsPanel } from '../components/TestsPanel';
import type { IChallengeDetail } from '../tokens';
import {
  button,
  challenge,
  click,
  detail,
  fakeClient,
  FakeEventSource,
  fakeNotebook,
  flush,
  gradeResult,
  httpError,
  makeModel,
  render,
  summary,
  testResult,
  trans
} from './utils';

// The learner's local time: Tuesday 1 Dec 2026, 15:00.
const NOW = new Date(2026, 11, 1, 15, 0, 0);
const MIN = 60000;
const HOUR = 60 * MIN;

function at(ms: number): string {
  return new Date(NOW.getTime() + ms).toISOString();
}

function rendermime() {
  return {
    createModel: jest.fn((options: any) => options),
    createRenderer: jest.fn(() => {
      const widget = new Widget();
      (widget as any).renderModel = () => Promise.resolve();
      return widget;
    })
  } as any;
}

beforeEach(() => {
  FakeEventSource.instances = [];
  // Timers and Date are fake; promises and React's microtasks are real.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate']
  });
});

afterEach(() => {
  jest.useRealTimers();
});

async function panel(details: IChallengeDetail[], serverBehindMs = 0) {
  const getChallenge = jest.fn();
  for (const d of details) {
    getChallenge.mockResolvedValueOnce(d);
  }
  getChallenge.mockResolvedValue(details[details.length - 1]);
  const client = fakeClient({
    getChallenge,
    serverNow: () => new Date(Date.now() - serverBehindMs)
  });
  const model = makeModel(client, undefined, {
    eventSource: url => new FakeEventSource(url)
  });
  await model.checkServer();
  const notebook = fakeNotebook();
  model.setCurrent(notebook);
  const view = await render(
    <TestsPanel
      model={model}
      rendermime={rendermime()}
      trans={trans}
      onOpenChallenge={jest.fn()}
      onBrowse={jest.fn()}
    />
  );
  await flush();
  const schedule = () =>
    view.container.querySelector('.jp-codequest-schedule')?.textContent ?? null;
  const reason = () =>
    view.container.querySelector('.jp-codequest-blocked-reason')?.textContent ??
    null;
  return { ...view, client, model, schedule, reason };
}

/** Let `ms` pass, renewing the clock as often as the page would (each minute). */
async function advance(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const step = Math.min(MIN, end - Date.now());
    await act(async () => {
      jest.advanceTimersByTime(step);
    });
  }
}

describe('the Tests panel header', () => {
  it('shows the due time, the time left renewed each minute, the policy and the count', async () => {
    const { container, schedule, reason } = await panel([
      detail({
        due: at(2 * HOUR + 13 * MIN),
        late: 'penalty',
        late_penalty: 0.2,
        max_submissions: 10,
        submissions_used: 3
      })
    ]);
    expect(schedule()).toContain('Due today 17:13 · 2 h 13 min left');
    expect(schedule()).toContain('Late submissions lose 20%');
    expect(schedule()).toContain('3 of 10 submissions used');
    expect(reason()).toBeNull();
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'false'
    );

    await advance(MIN);
    expect(schedule()).toContain('2 h 12 min left');
    await advance(2 * HOUR + 12 * MIN);
    // Exactly at due: still on time.
    expect(schedule()).toContain('less than a minute left');
    await advance(MIN);
    expect(schedule()).toContain('Was due today 17:13');
    expect(schedule()).not.toContain('left');
    // Late work with a penalty is still taken.
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'false'
    );
  });

  it('shows nothing of a schedule for a challenge without one', async () => {
    const { schedule, reason, container } = await panel([detail()]);
    expect(schedule()).toBeNull();
    expect(reason()).toBeNull();
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'false'
    );
  });

  it('turns Submit off with its reason when the due time passes and late work is refused', async () => {
    const { container, client, schedule, reason } = await panel([
      detail({ due: at(30 * 1000), late: 'reject' })
    ]);
    expect(reason()).toBeNull();
    await advance(31 * 1000);
    expect(schedule()).toContain('Closed: was due today 15:00');
    expect(schedule()).toContain('Late submissions are not accepted');
    const submit = button(container, 'Submit');
    expect(submit.getAttribute('aria-disabled')).toBe('true');
    expect(submit.getAttribute('aria-describedby')).toBe(
      'jp-codequest-blocked-reason'
    );
    expect(reason()).toBe(
      'The due time has passed and late submissions are not accepted. Run tests still works.'
    );
    await click(submit);
    expect(client.submit).not.toHaveBeenCalled();
    // Run tests stays available.
    expect(button(container, 'Run tests').getAttribute('aria-disabled')).toBe(
      'false'
    );
    await click(button(container, 'Run tests'));
    await flush();
    expect(client.submit).toHaveBeenCalledWith(
      'two-sum',
      expect.objectContaining({ mode: 'run' })
    );
  });

  it("goes by the server's clock, not the browser's", async () => {
    // The browser says 15:00; the server, which enforces the due time, 14:58.
    const { container, schedule, reason } = await panel(
      [detail({ due: at(-MIN), late: 'reject' })],
      2 * MIN
    );
    expect(schedule()).toContain('Due today 14:59 · 1 min left');
    expect(reason()).toBeNull();
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'false'
    );
    await advance(2 * MIN);
    expect(schedule()).toContain('Closed: was due today 14:59');
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'true'
    );
  });

  it('turns both buttons off before the challenge opens', async () => {
    const { container, client, schedule, reason } = await panel([
      detail({
        opens: new Date(2026, 11, 2, 9, 0).toISOString(),
        due: new Date(2026, 11, 9, 17, 0).toISOString()
      })
    ]);
    expect(schedule()).toContain('Opens tomorrow 09:00 · in 18 h');
    expect(reason()).toBe(
      'This challenge opens tomorrow 09:00; nothing can be run or submitted before then.'
    );
    for (const label of ['Run tests', 'Submit']) {
      expect(button(container, label).getAttribute('aria-disabled')).toBe(
        'true'
      );
      await click(button(container, label));
    }
    expect(client.submit).not.toHaveBeenCalled();
  });

  it('counts a submit as soon as the server accepts it, then turns Submit off', async () => {
    const limited = { max_submissions: 2 };
    const { container, client, model, schedule, reason } = await panel([
      detail({ ...limited, submissions_used: 1 }),
      detail({ ...limited, submissions_used: 2 })
    ]);
    expect(schedule()).toContain('1 of 2 submissions used');
    await click(button(container, 'Submit'));
    await flush();
    expect(client.submit).toHaveBeenCalledWith(
      'two-sum',
      expect.objectContaining({ mode: 'submit' })
    );
    // Still grading, and the count is already the server's new one.
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(schedule()).toContain('2 of 2 submissions used');
    await act(async () => {
      FakeEventSource.instances[0].emit(
        'result',
        gradeResult([testResult('t::a', 'passed')], { mode: 'submit' })
      );
    });
    await flush();
    expect(reason()).toBe('All 2 submissions are used. Run tests still works.');
    expect(button(container, 'Submit').getAttribute('aria-disabled')).toBe(
      'true'
    );
    expect(button(container, 'Run tests').getAttribute('aria-disabled')).toBe(
      'false'
    );
    // A Submit from elsewhere (the notebook toolbar, a shortcut) is not sent either.
    expect(model.session!.refuses('submit')).toBe(true);
    await act(async () => {
      await model.start('submit');
    });
    expect(client.submit).toHaveBeenCalledTimes(1);
  });

  it('reloads the count when the server refuses a submit', async () => {
    const limited = { max_submissions: 2 };
    const { container, client, schedule, reason } = await panel([
      detail({ ...limited, submissions_used: 1 }),
      detail({ ...limited, submissions_used: 2 })
    ]);
    client.submit.mockRejectedValueOnce(
      httpError(403, 'All 2 submissions of this challenge are used')
    );
    await click(button(container, 'Submit'));
    await flush();
    expect(container.textContent).toContain(
      'All 2 submissions of this challenge are used'
    );
    expect(schedule()).toContain('2 of 2 submissions used');
    expect(reason()).toBe('All 2 submissions are used. Run tests still works.');
  });
});

describe('a late result', () => {
  it('says late and what the penalty took', async () => {
    const result = gradeResult(
      [testResult('t::a', 'passed', { points: 8, max_points: 8 })],
      {
        mode: 'submit',
        late: true,
        penalty: 0.2,
        raw_points: 8,
        points: 6.4
      }
    );
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    const note = container.querySelector('.jp-codequest-late-note')!;
    expect(note.textContent).toBe(
      'late Submitted after the due time: 8 points earned, 6.4 counted after the 20% penalty.'
    );
    expect(
      container.querySelector('.jp-codequest-summary-text')!.textContent
    ).toContain('6.4/8 points');
  });

  it('shows no late note on time', async () => {
    const result = gradeResult([testResult('t::a', 'passed')], {
      mode: 'submit',
      late: false,
      penalty: 0
    });
    const { container } = await render(
      <ResultView result={result} trans={trans} />
    );
    expect(container.querySelector('.jp-codequest-late-note')).toBeNull();
  });
});

describe('the history', () => {
  it('marks late submissions', async () => {
    const entries = [
      { ...summary('s2', at(-MIN), 3, 3), late: true, penalty: 0.2 },
      { ...summary('s1', at(-HOUR), 1, 3), late: false }
    ];
    const { container } = await render(
      <HistoryList
        entries={entries}
        selectedId={null}
        onSelect={jest.fn()}
        now={NOW}
        trans={trans}
      />
    );
    const late = (id: string) =>
      container
        .querySelector(`[data-submission-id="${id}"] .jp-codequest-late-badge`)
        ?.textContent?.trim();
    expect(late('s2')).toBe('late');
    expect(late('s1')).toBeUndefined();
  });
});

describe('the challenge browser', () => {
  it('gives each challenge its deadline, late policy and count', async () => {
    const weekday = new Date(2026, 11, 7, 9, 0).toLocaleString(undefined, {
      weekday: 'short'
    });
    const list = [
      {
        ...challenge('soon', 'Soon', 'easy', []),
        due: at(2 * HOUR + 13 * MIN),
        late: 'accept'
      },
      {
        ...challenge('tomorrow', 'Tomorrow', 'easy', []),
        due: new Date(2026, 11, 2, 17, 0).toISOString()
      },
      {
        ...challenge('shut', 'Shut', 'easy', []),
        due: at(-HOUR),
        late: 'reject'
      },
      {
        ...challenge('penalised', 'Penalised', 'easy', []),
        due: at(-HOUR),
        late: 'penalty',
        late_penalty: 0.2,
        max_submissions: 10,
        submissions_used: 3
      },
      {
        ...challenge('flagged', 'Flagged', 'easy', []),
        due: at(-HOUR),
        late: 'accept'
      },
      {
        ...challenge('later', 'Later', 'easy', []),
        opens: new Date(2026, 11, 7, 9, 0).toISOString()
      },
      challenge('free', 'Free', 'easy', [])
    ];
    const client = fakeClient({
      listChallenges: jest.fn().mockResolvedValue(list)
    });
    const model = makeModel(client);
    await model.checkServer();
    const { container } = await render(
      <ChallengeBrowser model={model} onOpen={jest.fn()} trans={trans} />
    );
    await flush();
    const line = (id: string) =>
      Array.from(
        container.querySelectorAll(
          `[data-challenge-id="${id}"] .jp-codequest-schedule-line > span`
        )
      ).map(span => span.textContent);
    expect(line('soon')).toEqual(['due in 2 h 13 min']);
    expect(line('tomorrow')).toEqual(['due tomorrow 17:00']);
    expect(line('shut')).toEqual([
      'closed',
      'late submissions are not accepted'
    ]);
    expect(line('penalised')).toEqual([
      'was due today 14:00',
      'late submissions lose 20%',
      '3 of 10 submissions used'
    ]);
    expect(line('flagged')).toEqual([
      'was due today 14:00',
      'late: accepted and flagged'
    ]);
    expect(line('later')).toEqual([`opens ${weekday} 09:00`]);
    expect(line('free')).toEqual([]);

    await advance(MIN);
    expect(line('soon')).toEqual(['due in 2 h 12 min']);
  });
});

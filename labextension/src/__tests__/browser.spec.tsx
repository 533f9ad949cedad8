import React, { act } from 'react';

import {
  ChallengeBrowser,
  filterChallenges,
  EMPTY_FILTER
} from '../components/ChallengeBrowser';
import {
  button,
  challenge,
  changeValue,
  click,
  fakeClient,
  flush,
  httpError,
  makeModel,
  render,
  trans
} from './utils';

const CHALLENGES = [
  challenge('two-sum', 'Two Sum', 'easy', ['arrays', 'hash maps']),
  challenge('maze-runner', 'Maze Runner', 'hard', ['graphs', 'bfs'], {
    status: 'attempted',
    attempts: 3,
    best_score: 2,
    best_total: 5
  }),
  challenge('fizzbuzz', 'FizzBuzz', 'easy', ['loops'], {
    status: 'completed',
    attempts: 1,
    best_score: 4,
    best_total: 4
  }),
  challenge('coin-change', 'Coin Change', 'medium', ['dynamic programming'])
];

function ids(list: { id: string }[]): string[] {
  return list.map(c => c.id);
}

describe('filterChallenges', () => {
  it('keeps everything with the empty filter', () => {
    expect(ids(filterChallenges(CHALLENGES, EMPTY_FILTER))).toEqual([
      'two-sum',
      'maze-runner',
      'fizzbuzz',
      'coin-change'
    ]);
  });

  it('matches every word against title, id and tags, ignoring case', () => {
    expect(
      ids(filterChallenges(CHALLENGES, { ...EMPTY_FILTER, text: 'HASH' }))
    ).toEqual(['two-sum']);
    expect(
      ids(filterChallenges(CHALLENGES, { ...EMPTY_FILTER, text: 'maze bfs' }))
    ).toEqual(['maze-runner']);
    expect(
      ids(filterChallenges(CHALLENGES, { ...EMPTY_FILTER, text: 'maze loops' }))
    ).toEqual([]);
    expect(
      ids(
        filterChallenges(CHALLENGES, { ...EMPTY_FILTER, text: 'coin-change' })
      )
    ).toEqual(['coin-change']);
  });

  it('filters by difficulty and status together', () => {
    expect(
      ids(filterChallenges(CHALLENGES, { ...EMPTY_FILTER, difficulty: 'easy' }))
    ).toEqual(['two-sum', 'fizzbuzz']);
    expect(
      ids(
        filterChallenges(CHALLENGES, {
          text: '',
          difficulty: 'easy',
          status: 'not_started'
        })
      )
    ).toEqual(['two-sum']);
    expect(
      ids(
        filterChallenges(CHALLENGES, { ...EMPTY_FILTER, status: 'attempted' })
      )
    ).toEqual(['maze-runner']);
  });
});

async function renderBrowser(onOpen = jest.fn().mockResolvedValue(undefined)) {
  const client = fakeClient({
    listChallenges: jest.fn().mockResolvedValue(CHALLENGES)
  });
  const model = makeModel(client);
  await model.checkServer();
  const view = await render(
    <ChallengeBrowser model={model} onOpen={onOpen} trans={trans} />
  );
  await flush();
  return { ...view, client, model, onOpen };
}

function shownIds(container: HTMLElement): string[] {
  return Array.from(container.querySelectorAll('[data-challenge-id]')).map(li =>
    li.getAttribute('data-challenge-id')!
  );
}

describe('ChallengeBrowser', () => {
  it('lists each challenge with difficulty, time, tags and status', async () => {
    const { container } = await renderBrowser();
    expect(shownIds(container)).toEqual([
      'two-sum',
      'maze-runner',
      'fizzbuzz',
      'coin-change'
    ]);
    const maze = container.querySelector('[data-challenge-id="maze-runner"]')!;
    expect(
      maze.querySelector('.jp-codequest-challenge-title')!.textContent
    ).toBe('Maze Runner');
    expect(maze.querySelector('.jp-codequest-difficulty')!.textContent).toBe(
      'Hard'
    );
    expect(maze.querySelector('.jp-codequest-minutes')!.textContent).toBe(
      '15 min'
    );
    expect(
      Array.from(maze.querySelectorAll('.jp-codequest-tag')).map(
        t => t.textContent
      )
    ).toEqual(['graphs', 'bfs']);
    expect(
      maze.querySelector('.jp-codequest-progress-badge')!.textContent
    ).toContain('Best 2/5');
    const fizz = container.querySelector('[data-challenge-id="fizzbuzz"]')!;
    expect(
      fizz.querySelector('.jp-codequest-progress-completed')!.textContent
    ).toContain('Completed');
    const two = container.querySelector('[data-challenge-id="two-sum"]')!;
    expect(
      two.querySelector('.jp-codequest-progress-not_started')!.textContent
    ).toContain('Not started');
    expect(container.querySelector('.jp-codequest-count')!.textContent).toBe(
      '4 of 4 challenges · 1 completed'
    );
  });

  it('filters by text, difficulty and status from the controls', async () => {
    const { container } = await renderBrowser();
    await changeValue(
      container.querySelector('input[type="search"]'),
      'programming'
    );
    expect(shownIds(container)).toEqual(['coin-change']);
    await changeValue(container.querySelector('input[type="search"]'), '');
    await changeValue(
      container.querySelector('select[aria-label="Difficulty"]'),
      'easy'
    );
    expect(shownIds(container)).toEqual(['two-sum', 'fizzbuzz']);
    await changeValue(
      container.querySelector('select[aria-label="Status"]'),
      'completed'
    );
    expect(shownIds(container)).toEqual(['fizzbuzz']);
    await changeValue(
      container.querySelector('select[aria-label="Difficulty"]'),
      'hard'
    );
    expect(shownIds(container)).toEqual([]);
    expect(container.textContent).toContain('No challenge matches the filter.');
  });

  it('opens a challenge when it is clicked', async () => {
    const { container, onOpen } = await renderBrowser();
    await click(
      container.querySelector('[data-challenge-id="coin-change"] button')
    );
    expect(onOpen).toHaveBeenCalledWith('coin-change');
  });

  it('shows why opening failed', async () => {
    const { container } = await renderBrowser(
      jest.fn().mockRejectedValue(new Error('disk full'))
    );
    await click(
      container.querySelector('[data-challenge-id="two-sum"] button')
    );
    await flush();
    expect(container.textContent).toContain(
      'Could not open the challenge: disk full'
    );
  });

  it('reloads the list when a submission is graded', async () => {
    const { client, model } = await renderBrowser();
    expect(client.listChallenges).toHaveBeenCalledTimes(1);
    await act(async () => model.notifySubmissionFinished('two-sum', {} as any));
    await flush();
    expect(client.listChallenges).toHaveBeenCalledTimes(2);
  });

  it('explains a missing server extension instead of listing', async () => {
    const client = fakeClient({
      info: jest.fn().mockRejectedValue(httpError(404, 'Not Found'))
    });
    const model = makeModel(client);
    await model.checkServer();
    const { container } = await render(
      <ChallengeBrowser model={model} onOpen={jest.fn()} trans={trans} />
    );
    expect(container.querySelector('[role="alert"]')!.textContent).toContain(
      'The CodeQuest server extension is not running'
    );
    expect(client.listChallenges).not.toHaveBeenCalled();
    // Installing it and retrying brings the list.
    client.info.mockResolvedValue({
      version: '0.1.0',
      api_version: 1,
      user: 'a',
      instructor: false
    });
    await click(button(container, 'Try again'));
    await flush();
    expect(client.listChallenges).toHaveBeenCalled();
  });

  it('explains an API version mismatch', async () => {
    const client = fakeClient({
      info: jest.fn().mockResolvedValue({
        version: '9.0.0',
        api_version: 2,
        user: 'a',
        instructor: false
      })
    });
    const model = makeModel(client);
    await model.checkServer();
    const { container } = await render(
      <ChallengeBrowser model={model} onOpen={jest.fn()} trans={trans} />
    );
    const alert = container.querySelector('[role="alert"]')!.textContent!;
    expect(alert).toContain('CodeQuest versions do not match');
    expect(alert).toContain('API version 2');
    expect(alert).toContain('needs API version 1');
  });

  it('renders challenge titles as text', async () => {
    const client = fakeClient({
      listChallenges: jest
        .fn()
        .mockResolvedValue([
          challenge('x', '<img src=x onerror=alert(1)>', 'easy', ['<b>t</b>'])
        ])
    });
    const model = makeModel(client);
    await model.checkServer();
    const { container } = await render(
      <ChallengeBrowser model={model} onOpen={jest.fn()} trans={trans} />
    );
    await flush();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror=alert(1)>');
  });
});

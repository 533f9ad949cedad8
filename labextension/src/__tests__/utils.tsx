/**
 * Test helpers: a fake API client, a translation bundle, a fake
 * EventSource, a fake notebook and a minimal React renderer.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { CodeQuestModel, IModelHost } from '../model';
import type { INotebookHandle } from '../notebook';
import type { IEventSourceLike, IWatchOptions } from '../stream';
import type {
  IChallengeDetail,
  IChallengeSummary,
  ICodeQuestClient,
  IGradeResult,
  ISubmissionSummary,
  ITestResult
} from '../tokens';

function fmt(text: string, args: unknown[]): string {
  return text.replace(/%(\d+)/g, (match, index) => {
    const value = args[Number(index) - 1];
    return value === undefined ? match : String(value);
  });
}

/** Behaves like JupyterLab's null translator. */
export const trans = {
  __: (msgid: string, ...args: unknown[]) => fmt(msgid, args),
  _n: (singular: string, plural: string, n: number, ...args: unknown[]) =>
    fmt(n === 1 ? singular : plural, [n, ...args]),
  _p: (_context: string, msgid: string, ...args: unknown[]) => fmt(msgid, args)
} as unknown as TranslationBundle;

/** A ResponseError look-alike: what requestAPI throws. */
export function httpError(status: number, message: string): Error {
  const error = new Error(message) as Error & { response: { status: number } };
  error.response = { status };
  return error;
}

export type FakeClient = jest.Mocked<ICodeQuestClient>;

/** An API client whose every method is a jest mock. */
export function fakeClient(
  overrides: Partial<ICodeQuestClient> = {}
): FakeClient {
  const client: FakeClient = {
    info: jest.fn().mockResolvedValue({
      version: '0.1.0',
      api_version: 1,
      user: 'alice',
      instructor: false
    }),
    listChallenges: jest.fn().mockResolvedValue([]),
    getChallenge: jest.fn(),
    createWorkspace: jest.fn(),
    submit: jest.fn().mockResolvedValue({ id: 'sub1', status: 'queued' }),
    getSubmission: jest.fn(),
    listSubmissions: jest.fn().mockResolvedValue({ submissions: [], total: 0 }),
    restore: jest.fn(),
    reset: jest.fn(),
    eventsUrl: jest.fn(
      (sid: string) => `/codequest/api/submissions/${sid}/events`
    )
  };
  Object.assign(client, overrides);
  return client;
}

/** A host whose confirm answers `answer`. */
export function fakeHost(answer = true): jest.Mocked<IModelHost> {
  return {
    confirm: jest.fn().mockResolvedValue(answer),
    listCheckpoints: jest.fn().mockResolvedValue([]),
    restoreCheckpoint: jest.fn().mockResolvedValue(undefined),
    __: jest.fn((msgid: string, ...args: string[]) => fmt(msgid, args))
  };
}

export function makeModel(
  client: ICodeQuestClient,
  host: IModelHost = fakeHost(),
  watch: IWatchOptions = {}
): CodeQuestModel {
  return new CodeQuestModel({
    client,
    host,
    watch: {
      pollInterval: 5,
      maxPollInterval: 10,
      guardInterval: 60000,
      ...watch
    }
  });
}

/** A notebook handle whose methods are jest mocks. */
export function fakeNotebook(
  challengeId = 'two-sum',
  path = `codequest/${challengeId}/two_sum.ipynb`
): jest.Mocked<INotebookHandle> & { disposedSignal: Signal<any, void> } {
  const disposedSignal = new Signal<any, void>({});
  return {
    id: `nb-${challengeId}`,
    path,
    challengeId,
    dirty: false,
    save: jest.fn().mockResolvedValue(undefined),
    revert: jest.fn().mockResolvedValue(undefined),
    toJSON: jest.fn().mockReturnValue({ cells: [], nbformat: 4 }),
    activateCell: jest.fn(),
    disposed: disposedSignal,
    disposedSignal
  } as any;
}

/** An EventSource the test drives by hand. */
export class FakeEventSource implements IEventSourceLike {
  static instances: FakeEventSource[] = [];

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  readyState = 0;
  onerror: ((event: any) => void) | null = null;
  closed = false;

  addEventListener(type: string, listener: (event: any) => void): void {
    (this._listeners[type] ??= []).push(listener);
  }

  /** Deliver `event: type` with JSON data. */
  emit(type: string, data: unknown): void {
    this.readyState = 1;
    for (const listener of this._listeners[type] ?? []) {
      listener({ type, data: JSON.stringify(data) });
    }
  }

  fail(): void {
    this.readyState = 2;
    this.onerror?.({ type: 'error' });
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  private _listeners: { [type: string]: ((event: any) => void)[] } = {};
}

/** Let pending promises and React updates run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await act(async () => {
      await Promise.resolve();
    });
  }
}

/** Wait (in real time) until `check` passes, or fail after `timeout` ms. */
export async function waitFor(
  check: () => void,
  timeout = 2000
): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() - start > timeout) {
        throw error;
      }
    }
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 5));
    });
  }
}

export interface IRendered {
  container: HTMLElement;
  root: Root;
  unmount(): void;
}

const mounted: IRendered[] = [];

/** Render a React element into a fresh container attached to the document. */
export async function render(element: React.ReactElement): Promise<IRendered> {
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => {
    root.render(element);
  });
  const rendered = {
    container,
    root,
    unmount: () => {
      act(() => root.unmount());
      container.remove();
    }
  };
  mounted.push(rendered);
  return rendered;
}

afterEach(() => {
  while (mounted.length) {
    mounted.pop()!.unmount();
  }
});

export async function click(element: Element | null): Promise<void> {
  if (!element) {
    throw new Error('nothing to click');
  }
  await act(async () => {
    (element as HTMLElement).click();
  });
}

/** Type into an input or pick an option, the way React sees a user do it. */
export async function changeValue(
  element: Element | null,
  value: string
): Promise<void> {
  if (!element) {
    throw new Error('no such field');
  }
  const proto = Object.getPrototypeOf(element);
  const setter = Object.getOwnPropertyDescriptor(proto, 'value')!.set!;
  await act(async () => {
    setter.call(element, value);
    const type = element instanceof HTMLSelectElement ? 'change' : 'input';
    element.dispatchEvent(new Event(type, { bubbles: true }));
  });
}

/** The button whose text is exactly `text`. */
export function button(container: Element, text: string): HTMLButtonElement {
  const found = Array.from(container.querySelectorAll('button')).find(
    b => b.textContent?.trim() === text
  );
  if (!found) {
    throw new Error(
      `no button "${text}" among: ${Array.from(
        container.querySelectorAll('button')
      )
        .map(b => JSON.stringify(b.textContent))
        .join(', ')}`
    );
  }
  return found;
}

// ---- data -----------------------------------------------------------------

export function challenge(
  id: string,
  title: string,
  difficulty: string,
  tags: string[],
  progress: Partial<IChallengeSummary['progress']> = {}
): IChallengeSummary {
  return {
    id,
    title,
    difficulty,
    estimated_minutes: 15,
    tags,
    notebook: `${id}.ipynb`,
    progress: {
      status: 'not_started',
      attempts: 0,
      best_score: null,
      best_total: null,
      ...progress
    }
  };
}

export function detail(
  overrides: Partial<IChallengeDetail> = {}
): IChallengeDetail {
  return {
    ...challenge('two-sum', 'Two Sum', 'easy', ['arrays']),
    description: '# Two Sum\n\nFind two numbers.',
    module: 'two_sum',
    public_tests: [
      {
        path: 'tests/test_two_sum.py',
        source: 'def test_basic():\n    assert True\n',
        tests: ['test_basic', 'test_empty']
      }
    ],
    hidden_tests: 1,
    hints: [{ text: 'Use a dict.', after_attempts: 0 }],
    locked_hints: 2,
    limits: { timeout_s: 10, memory_mb: 512 },
    workspace: { path: 'codequest/two-sum/two_sum.ipynb', exists: true },
    next: 'balanced-brackets',
    ...overrides
  };
}

export function testResult(
  id: string,
  status: ITestResult['status'],
  extra: Partial<ITestResult> = {}
): ITestResult {
  return {
    id,
    name: id.split('::').pop()!,
    hidden: id.startsWith('hidden/'),
    status,
    message: null,
    expected: null,
    actual: null,
    duration_ms: 3,
    points: status === 'passed' ? 1 : 0,
    max_points: 1,
    output: null,
    ...extra
  };
}

export function gradeResult(
  tests: ITestResult[],
  extra: Partial<IGradeResult> = {}
): IGradeResult {
  const score = tests.filter(t => t.status === 'passed').length;
  return {
    id: 'sub1',
    challenge: 'two-sum',
    mode: 'run',
    submitted_at: '2026-11-24T14:32:05Z',
    status: score === tests.length ? 'passed' : 'failed',
    score,
    total: tests.length,
    points: tests.reduce((sum, t) => sum + (t.points ?? 0), 0),
    max_points: tests.reduce((sum, t) => sum + (t.max_points ?? 0), 0),
    duration_ms: 412,
    tests,
    error: null,
    ...extra
  };
}

export function summary(
  id: string,
  submittedAt: string,
  score: number,
  total: number,
  status: ISubmissionSummary['status'] = score === total ? 'passed' : 'failed'
): ISubmissionSummary {
  return {
    id,
    challenge: 'two-sum',
    mode: 'submit',
    submitted_at: submittedAt,
    status,
    score,
    total,
    points: score,
    max_points: total,
    duration_ms: 1500
  };
}

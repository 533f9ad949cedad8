/**
 * The instructors' dashboard specs' data: a class matrix, one challenge's
 * statistics, and an instructor client over them whose methods are jest
 * mocks.
 */

import type {
  IChallengeStats,
  IClassCell,
  IClassMatrix,
  IInstructorClient,
  IRegradeJob
} from '../instructor/types';
import { gradeResult, summary, testResult } from './utils';

/** One learner's standing at one challenge, out of 3 points. */
export function cell(
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

export const MATRIX: IClassMatrix = {
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

export const STATS: IChallengeStats = {
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

export type FakeInstructor = jest.Mocked<IInstructorClient>;

export function fakeInstructorClient(): FakeInstructor {
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

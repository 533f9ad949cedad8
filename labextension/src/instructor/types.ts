/**
 * The shapes of the instructors' endpoints (`GET class`,
 * `GET challenges/{id}/stats`, `POST regrades`, `GET regrades/{id}`,
 * `GET submissions/{sid}/results`), as the OpenAPI document describes them,
 * and the calls the dashboard makes.
 */

import type { IGradeResult, IServerInfo, ISubmissionList } from '../tokens';

/** One learner × challenge cell of `GET class`. */
export interface IClassCell {
  learner: string;
  challenge: string;
  best_points: number | null;
  last_points: number;
  max_points: number;
  attempts: number;
  first_passed_at: string | null;
  late: boolean;
  passed: boolean;
  last_submitted_at: string | null;
}

/** `GET class`. */
export interface IClassMatrix {
  learners: string[];
  challenges: string[];
  cells: IClassCell[];
}

export interface ITestStats {
  id: string;
  name: string;
  hidden: boolean;
  runs: number;
  failures: number;
  failure_rate: number;
  common_failures: { message: string; count: number }[];
}

/** `GET challenges/{id}/stats`. */
export interface IChallengeStats {
  challenge: string;
  submissions: number;
  learners: number;
  statuses: Record<string, number>;
  max_points: number;
  score_distribution: { from: number; to: number; learners: number }[];
  tests: ITestStats[];
  submissions_per_day: { day: string; count: number }[];
}

/** The figures of a result a regrade compares. */
export interface IResultFigures {
  status: string;
  score: number | null;
  total: number | null;
  points: number | null;
  max_points: number | null;
  challenge_version: string | null;
}

/** `POST regrades` (without items) and `GET regrades/{job_id}`. */
export interface IRegradeJob {
  id: string;
  challenge: string;
  challenge_version: string;
  user?: string | null;
  latest?: boolean;
  status: 'running' | 'finished' | 'failed';
  total: number;
  done: number;
  changed: number;
  /** Regradings that failed outright (counted in done; a hub's grading workers). */
  failed?: number;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  items?: {
    id: string;
    user: string;
    submitted_at: string;
    old: IResultFigures;
    new: IResultFigures;
    changed: boolean;
  }[];
}

/** The body of `POST regrades`. */
export interface IRegradeRequest {
  challenge: string;
  learner?: string;
  latest?: boolean;
}

/** `GET submissions/{sid}/results`: the current result and those regrades replaced. */
export interface IResultHistory {
  current: IGradeResult;
  previous: (IResultFigures & {
    replaced_at: string;
    regrade_id?: string | null;
  })[];
}

/** A stored snapshot: `GET submissions/{sid}/code`. */
export interface ISubmissionCode {
  notebook: {
    cells?: { cell_type: string; source: string | string[] }[];
  } | null;
  files: Record<string, string>;
}

/** What the dashboard asks of the server; the plugin passes the HTTP client. */
export interface IInstructorClient {
  info(): Promise<IServerInfo>;
  classMatrix(): Promise<IClassMatrix>;
  challengeStats(challenge: string): Promise<IChallengeStats>;
  learnerSubmissions(
    learner: string,
    challenge: string,
    limit?: number
  ): Promise<ISubmissionList>;
  result(sid: string): Promise<IGradeResult>;
  code(sid: string): Promise<ISubmissionCode>;
  startRegrade(request: IRegradeRequest): Promise<IRegradeJob>;
  regrade(jobId: string): Promise<IRegradeJob>;
  /** The gradebook CSV's text. */
  gradebook(): Promise<string>;
}

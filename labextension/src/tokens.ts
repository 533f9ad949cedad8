/**
 * Types of the CodeQuest REST API (`{base_url}codequest/api/`) and the
 * command ids of this extension.
 *
 * The shapes follow the project's API contract; fields the server may add
 * later are tolerated because nothing here rejects unknown keys.
 */

/** The API version this frontend speaks; `GET info` must report the same. */
export const API_VERSION = 1;

/** Command ids, all under `codequest:`. */
export namespace CommandIDs {
  export const openBrowser = 'codequest:open-browser';
  export const openTestsPanel = 'codequest:open-tests-panel';
  export const openChallenge = 'codequest:open-challenge';
  export const runTests = 'codequest:run-tests';
  export const submit = 'codequest:submit';
  export const showHint = 'codequest:show-hint';
  export const nextChallenge = 'codequest:next-challenge';
  export const refresh = 'codequest:refresh';
  export const resetToStarter = 'codequest:reset-to-starter';
  export const openDashboard = 'codequest:open-dashboard';
}

export type Difficulty = 'easy' | 'medium' | 'hard';
export type ProgressStatus = 'not_started' | 'attempted' | 'completed';
export type SubmissionStatus =
  'queued' | 'running' | 'passed' | 'failed' | 'error';
export type TestStatus =
  'passed' | 'failed' | 'error' | 'timeout' | 'skipped' | 'not_run';
export type ErrorKind =
  'syntax' | 'timeout' | 'memory' | 'kernel_died' | 'notebook' | 'internal';
export type Mode = 'run' | 'submit';

/** Where a submission's tests ran (`challenge.toml`'s `isolation`). */
export type Isolation = 'judge' | 'kernel';

/** `GET info`. */
export interface IServerInfo {
  version: string;
  api_version: number;
  user: string;
  instructor: boolean;
}

/** A learner's progress on one challenge. */
export interface IProgress {
  status: ProgressStatus;
  attempts: number;
  failed_attempts?: number;
  best_score: number | null;
  best_total: number | null;
  best_points?: number | null;
  max_points?: number | null;
  completed_at?: string | null;
  last_submitted_at?: string | null;
}

/** What happens to work handed in after `due`. */
export type LatePolicy = 'accept' | 'reject' | 'penalty';

/**
 * A challenge's deadlines and attempts (all optional: a challenge without
 * them is always open, with unlimited submissions). Times are ISO UTC.
 */
export interface ISchedule {
  /** Before it, nothing is accepted, not even Run tests. */
  opens?: string | null;
  /** After it, a submission is late. */
  due?: string | null;
  late?: LatePolicy | string;
  /** The fraction of the points late work loses (`late` is "penalty"). */
  late_penalty?: number | null;
  /** Submits allowed (Run tests is not counted). */
  max_submissions?: number | null;
  /** This learner's submits of the challenge so far. */
  submissions_used?: number;
}

/** One entry of `GET challenges`. */
export interface IChallengeSummary extends ISchedule {
  id: string;
  title: string;
  difficulty: Difficulty | string;
  estimated_minutes: number | null;
  tags: string[];
  notebook: string;
  progress: IProgress;
}

export interface IChallengeList {
  challenges: IChallengeSummary[];
}

export interface IPublicTestFile {
  path: string;
  source: string;
  tests: string[];
}

export interface IHint {
  text: string;
  after_attempts: number;
}

/** `GET challenges/{id}`. */
export interface IChallengeDetail extends IChallengeSummary {
  description: string;
  module?: string;
  public_tests: IPublicTestFile[];
  hidden_tests: number;
  hints: IHint[];
  locked_hints: number;
  limits?: { timeout_s?: number; memory_mb?: number; [key: string]: unknown };
  workspace?: { path: string; exists: boolean };
  next: string | null;
}

/** `POST challenges/{id}/workspace`. */
export interface IWorkspace {
  path: string;
  created: boolean;
}

/** One test's result (also the data of an SSE `test` event). */
export interface ITestResult {
  id: string;
  name: string;
  hidden: boolean;
  status: TestStatus;
  message?: string | null;
  expected?: string | null;
  actual?: string | null;
  duration_ms?: number;
  points?: number;
  max_points?: number;
  output?: string | null;
  /** True when the captured output was cut at the output cap (absent: false). */
  output_truncated?: boolean;
}

/** Why the tests could not run at all. */
export interface IGradeError {
  kind: ErrorKind | string;
  message: string;
  cell?: number | null;
  traceback?: string | null;
}

/**
 * A notebook cell that raised, or ran past its time limit and was
 * interrupted, while the learner's notebook ran. Neither stops the tests.
 */
export interface ICellError {
  cell: number;
  ename: string;
  evalue: string;
  traceback?: string | null;
  /** Absent in results stored before the field existed: an exception. */
  kind?: 'exception' | 'timeout' | string;
}

/** The result JSON of one submission (`GET submissions/{sid}`). */
export interface IGradeResult {
  id: string;
  challenge: string;
  challenge_version?: string;
  user?: string;
  mode: Mode;
  submitted_at: string;
  status: SubmissionStatus;
  score: number;
  total: number;
  points: number;
  max_points: number;
  duration_ms: number;
  tests?: ITestResult[];
  error?: IGradeError | null;
  cell_errors?: ICellError[];
  /** True when some test's captured output was cut at the cap (absent: false). */
  output_truncated?: boolean;
  /** Where the tests ran: a judge process of their own, or the learner's kernel. */
  isolation?: Isolation | null;
  /** A submission handed in after the challenge's due time. */
  late?: boolean;
  /** The fraction of the points taken off for lateness (0 when none). */
  penalty?: number;
  /** The points the tests earned, before the penalty. */
  raw_points?: number;
}

/** A history entry: the result JSON without its tests. */
export type ISubmissionSummary = Omit<IGradeResult, 'tests' | 'cell_errors'>;

export interface ISubmissionList {
  submissions: ISubmissionSummary[];
  total: number;
}

/** `POST challenges/{id}/submissions` (202). */
export interface ISubmissionAccepted {
  id: string;
  status: SubmissionStatus;
}

/** `POST submissions/{sid}/restore` and `POST challenges/{id}/reset`. */
export interface IRestoreResponse {
  path: string;
  /** `null` when there was no current version to keep. */
  checkpoint: { id: string; last_modified: string } | null;
}

/** A test announced by the SSE `collected` event. */
export interface ICollectedTest {
  id: string;
  name: string;
  hidden: boolean;
  max_points?: number;
}

export interface ICollected {
  total: number;
  tests: ICollectedTest[];
}

/**
 * The SSE `status` event: the submission waits (`queued`) or is being graded
 * (`running`). A `message` says why it waits, for the learner to read (no
 * grading worker is running, say); the submission stays saved meanwhile.
 */
export interface IStatusEvent {
  status: SubmissionStatus;
  message?: string;
}

/** The body of `POST challenges/{id}/submissions`. */
export interface ISubmissionRequest {
  mode: Mode;
  path?: string;
  notebook?: unknown;
  files?: Record<string, string>;
}

/**
 * The calls the widgets make. The plugin passes the HTTP client
 * ({@link CodeQuestClient} in `api.ts`); unit tests pass a fake.
 */
export interface ICodeQuestClient {
  info(): Promise<IServerInfo>;
  listChallenges(): Promise<IChallengeSummary[]>;
  getChallenge(id: string): Promise<IChallengeDetail>;
  createWorkspace(id: string): Promise<IWorkspace>;
  submit(
    challengeId: string,
    body: ISubmissionRequest
  ): Promise<ISubmissionAccepted>;
  getSubmission(sid: string): Promise<IGradeResult>;
  listSubmissions(
    challengeId: string,
    limit?: number,
    offset?: number
  ): Promise<ISubmissionList>;
  restore(sid: string): Promise<IRestoreResponse>;
  /** Put the challenge's starter back into the workspace, checkpointing first. */
  reset(challengeId: string): Promise<IRestoreResponse>;
  /** The URL of `submissions/{sid}/events`, with the token when one is configured. */
  eventsUrl(sid: string): string;
  /**
   * The server's time now (deadlines are judged by it); the browser's when
   * absent.
   */
  serverNow?(): Date;
}

/** True when a submission status is final. */
export function isFinal(status: SubmissionStatus): boolean {
  return status === 'passed' || status === 'failed' || status === 'error';
}

/**
 * One press of Run tests or Submit: save, submit, follow the results.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from './errors';
import { IWatch, IWatchOptions, watchSubmission } from './stream';
import {
  ICodeQuestClient,
  ICollected,
  IGradeResult,
  ISubmissionRequest,
  IStatusEvent,
  ITestResult,
  Mode,
  TestStatus
} from './tokens';

/** A test row: a result, or a test announced but not finished yet. */
export interface ITestRow {
  id: string;
  name: string;
  hidden: boolean;
  status: TestStatus | 'pending';
  message?: string | null;
  expected?: string | null;
  actual?: string | null;
  duration_ms?: number;
  points?: number;
  max_points?: number;
  output?: string | null;
  output_truncated?: boolean;
}

export type RunPhase =
  | 'saving'
  | 'submitting'
  | 'grading'
  | 'done'
  /** The run could not be submitted or followed (not a grading error). */
  | 'failed';

/** Where the code to grade comes from. */
export type SubmissionSource =
  | { path: string; notebook?: undefined }
  | { notebook: unknown; path?: undefined };

export interface IRunOptions {
  client: ICodeQuestClient;
  challengeId: string;
  mode: Mode;
  /** Saves the notebook before submitting; omitted when nothing is saved. */
  save?: () => Promise<void>;
  /** What to send: the saved file's path, or the notebook JSON itself. */
  source: () => SubmissionSource;
  watch?: IWatchOptions;
}

/**
 * The live state of one submission, from the button press to the result.
 *
 * `changed` fires after every step, in particular once per streamed test,
 * so a view can fill in each test's row as its result arrives.
 */
export class SubmissionRun {
  constructor(options: IRunOptions) {
    this._options = options;
    this.mode = options.mode;
  }

  readonly mode: Mode;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Fires once, when the run is over (done or failed). */
  get finished(): ISignal<this, void> {
    return this._finished;
  }

  get phase(): RunPhase {
    return this._phase;
  }

  get submissionId(): string | null {
    return this._sid;
  }

  /** The rows so far, in the order the tests were collected. */
  get rows(): ReadonlyArray<ITestRow> {
    return this._rows;
  }

  /** Number of tests to run, once known. */
  get total(): number | null {
    return this._total;
  }

  /** Number of tests finished so far. */
  get completed(): number {
    return this._rows.filter(row => row.status !== 'pending').length;
  }

  /** The final result, once graded. */
  get result(): IGradeResult | null {
    return this._result;
  }

  /**
   * The server's word on why the submission waits to be graded (no grading
   * worker is running, say), while it waits; `null` once grading starts.
   */
  get waiting(): string | null {
    return this._waiting;
  }

  /** Why the run could not be submitted or followed. */
  get error(): string | null {
    return this._error;
  }

  get isActive(): boolean {
    return this._phase !== 'done' && this._phase !== 'failed';
  }

  /** Save, submit and follow the submission. Never rejects. */
  async start(): Promise<void> {
    const { client, challengeId, mode, save, source } = this._options;
    try {
      if (save) {
        this._set('saving');
        await save();
      }
      this._set('submitting');
      const body: ISubmissionRequest = { mode, ...source() };
      const accepted = await client.submit(challengeId, body);
      this._sid = accepted.id;
      this._set('grading');
    } catch (error) {
      this._fail(errorMessage(error));
      return;
    }
    if (this._disposed) {
      return;
    }
    this._watch = watchSubmission(
      client,
      this._sid!,
      {
        status: data => this._onStatus(data),
        collected: data => this._onCollected(data),
        test: data => this._onTest(data),
        result: data => this._onResult(data),
        failed: message => this._fail(message)
      },
      this._options.watch
    );
  }

  /** Stop following the submission (the grading itself goes on). */
  dispose(): void {
    this._disposed = true;
    this._watch?.dispose();
    Signal.clearData(this);
  }

  private _onStatus(data: IStatusEvent): void {
    const waiting =
      data.status === 'queued' && data.message ? data.message : null;
    if (waiting !== this._waiting) {
      this._waiting = waiting;
      this._changed.emit();
    }
  }

  private _onCollected(data: ICollected): void {
    this._waiting = null;
    this._total = data.total;
    const known = new Map(this._rows.map(row => [row.id, row]));
    this._rows = data.tests.map(
      test =>
        known.get(test.id) ?? {
          id: test.id,
          name: test.name,
          hidden: test.hidden,
          max_points: test.max_points,
          status: 'pending'
        }
    );
    this._changed.emit();
  }

  private _onTest(data: ITestResult): void {
    this._waiting = null;
    const index = this._rows.findIndex(row => row.id === data.id);
    const rows = this._rows.slice();
    if (index >= 0) {
      rows[index] = { ...data };
    } else {
      rows.push({ ...data });
    }
    this._rows = rows;
    this._changed.emit();
  }

  private _onResult(data: IGradeResult): void {
    this._waiting = null;
    this._result = data;
    if (data.tests) {
      this._rows = data.tests.map(test => ({ ...test }));
    }
    this._total = data.tests ? data.tests.length : data.total;
    this._set('done');
    this._finished.emit();
  }

  private _fail(message: string): void {
    this._waiting = null;
    this._error = message;
    this._set('failed');
    this._finished.emit();
  }

  private _set(phase: RunPhase): void {
    this._phase = phase;
    this._changed.emit();
  }

  private _options: IRunOptions;
  private _phase: RunPhase = 'saving';
  private _sid: string | null = null;
  private _rows: ITestRow[] = [];
  private _total: number | null = null;
  private _result: IGradeResult | null = null;
  private _error: string | null = null;
  private _waiting: string | null = null;
  private _watch: IWatch | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, void>(this);
}

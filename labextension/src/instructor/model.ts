/**
 * The state behind the instructors' dashboard: the class matrix (polled
 * while the dashboard is visible), the matrix's view (search, filter,
 * sort), one challenge's statistics, one learner's attempts with the two
 * compared, and the regrade in progress. The widgets render it and call its
 * methods; it talks to the server only through an {@link IInstructorClient}.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../errors';
import type { IGradeResult, ISubmissionSummary } from '../tokens';
import { DEFAULT_VIEW, IMatrixView, toggleSort } from './matrix';
import { codeText } from './snapshot';
import type {
  IChallengeStats,
  IClassMatrix,
  IInstructorClient,
  IRegradeJob,
  IRegradeRequest
} from './types';

export type DashboardTab = 'class' | 'challenge' | 'learner';

/** One stored attempt: its result (every detail) and its code as text. */
export interface IAttempt {
  result: IGradeResult;
  code: string;
}

export interface IDashboardOptions {
  client: IInstructorClient;
  /** How often the matrix is fetched again while visible (ms); 0: never. */
  pollMs?: number;
  /** How often a running regrade's progress is fetched (ms). */
  regradePollMs?: number;
}

export class DashboardModel {
  constructor(options: IDashboardOptions) {
    this.client = options.client;
    this.pollMs = options.pollMs ?? 5000;
    this.regradePollMs = options.regradePollMs ?? 1000;
  }

  readonly client: IInstructorClient;
  readonly pollMs: number;
  readonly regradePollMs: number;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  // -- the class matrix ------------------------------------------------------

  matrix: IClassMatrix | null = null;
  matrixError: string | null = null;
  updatedAt: Date | null = null;
  view: IMatrixView = DEFAULT_VIEW;
  tab: DashboardTab = 'class';

  /** Fetch the matrix now. */
  async refresh(): Promise<void> {
    try {
      this.matrix = await this.client.classMatrix();
      this.matrixError = null;
      this.updatedAt = new Date();
    } catch (error) {
      this.matrixError = errorMessage(error);
    }
    this._emit();
  }

  /** Poll while the dashboard is on screen; stop when it is hidden. */
  setVisible(visible: boolean): void {
    if (visible && this._poll === null && !this._disposed) {
      void this.refresh();
      if (this.pollMs > 0) {
        this._poll = setInterval(() => void this.refresh(), this.pollMs);
      }
    } else if (!visible && this._poll !== null) {
      clearInterval(this._poll);
      this._poll = null;
    }
  }

  get polling(): boolean {
    return this._poll !== null;
  }

  setView(change: Partial<IMatrixView>): void {
    this.view = { ...this.view, ...change };
    this._emit();
  }

  sortBy(key: string): void {
    this.view = toggleSort(this.view, key);
    this._emit();
  }

  setTab(tab: DashboardTab): void {
    this.tab = tab;
    this._emit();
  }

  // -- one challenge -----------------------------------------------------------

  challenge = '';
  stats: IChallengeStats | null = null;
  statsError: string | null = null;

  async openChallenge(challenge: string): Promise<void> {
    this.challenge = challenge;
    this.tab = 'challenge';
    this.stats = null;
    this.statsError = null;
    this._emit();
    try {
      const stats = await this.client.challengeStats(challenge);
      if (this.challenge === challenge) {
        this.stats = stats;
      }
    } catch (error) {
      this.statsError = errorMessage(error);
    }
    this._emit();
  }

  // -- one learner's attempts ----------------------------------------------------

  learner = '';
  learnerChallenge = '';
  attempts: ISubmissionSummary[] = [];
  attemptsError: string | null = null;
  /** The attempt shown in full, and the one it is compared with (ids). */
  selected: string | null = null;
  compared: string | null = null;

  async openLearner(learner: string, challenge?: string): Promise<void> {
    const first =
      challenge ??
      this.matrix?.cells.find(c => c.learner === learner)?.challenge ??
      this.matrix?.challenges[0] ??
      '';
    this.learner = learner;
    this.learnerChallenge = first;
    this.tab = 'learner';
    this.attempts = [];
    this.selected = this.compared = null;
    this.attemptsError = null;
    this._emit();
    if (!first) {
      return;
    }
    try {
      const list = await this.client.learnerSubmissions(learner, first);
      if (this.learner !== learner || this.learnerChallenge !== first) {
        return;
      }
      this.attempts = list.submissions.filter(s => s.mode === 'submit');
      this.selected = this.attempts[0]?.id ?? null;
      this.compared = this.attempts[1]?.id ?? null;
      await Promise.all(
        [this.selected, this.compared].map(id => (id ? this.attempt(id) : null))
      );
    } catch (error) {
      this.attemptsError = errorMessage(error);
    }
    this._emit();
  }

  /** Show attempt `id` in full (`which`: the main one or the compared one). */
  async select(
    id: string | null,
    which: 'selected' | 'compared'
  ): Promise<void> {
    const other = which === 'selected' ? 'compared' : 'selected';
    if (id !== null && this[other] === id) {
      this[other] = this[which]; // picking the other side's attempt swaps the two
    }
    this[which] = id;
    this._emit();
    if (id) {
      try {
        await this.attempt(id);
      } catch (error) {
        this.attemptsError = errorMessage(error);
      }
      this._emit();
    }
  }

  /** An attempt's result and code, fetched once. */
  async attempt(id: string): Promise<IAttempt> {
    let pending = this._attempts.get(id);
    if (!pending) {
      pending = Promise.all([
        this.client.result(id),
        this.client.code(id)
      ]).then(([result, code]) => ({ result, code: codeText(code) }));
      this._attempts.set(id, pending);
      pending.catch(() => this._attempts.delete(id));
    }
    const value = await pending;
    this._loaded.set(id, value);
    return value;
  }

  /** An attempt already fetched, else null. */
  loaded(id: string | null): IAttempt | null {
    return id ? (this._loaded.get(id) ?? null) : null;
  }

  // -- regrades ------------------------------------------------------------------

  regradeJob: IRegradeJob | null = null;
  regradeError: string | null = null;

  get regrading(): boolean {
    return this.regradeJob?.status === 'running';
  }

  /** Start a regrade and follow its progress until it ends. */
  async regrade(request: IRegradeRequest): Promise<IRegradeJob | null> {
    this.regradeError = null;
    try {
      let job = await this.client.startRegrade(request);
      this.regradeJob = job;
      this._emit();
      while (job.status === 'running' && !this._disposed) {
        await new Promise(resolve => setTimeout(resolve, this.regradePollMs));
        job = await this.client.regrade(job.id);
        this.regradeJob = job;
        this._emit();
      }
      // The new results are the current ones: forget cached attempts, refetch.
      this._attempts.clear();
      this._loaded.clear();
      await this.refresh();
      if (this.tab === 'challenge' && this.challenge === job.challenge) {
        await this.openChallenge(job.challenge);
      } else if (this.tab === 'learner' && this.learner) {
        await this.openLearner(this.learner, this.learnerChallenge);
      }
      return job;
    } catch (error) {
      this.regradeError = errorMessage(error);
      this._emit();
      return null;
    }
  }

  // -- lifetime ----------------------------------------------------------------

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.setVisible(false);
    this._disposed = true;
    Signal.clearData(this);
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _poll: ReturnType<typeof setInterval> | null = null;
  private _disposed = false;
  private _attempts = new Map<string, Promise<IAttempt>>();
  private _loaded = new Map<string, IAttempt>();
}

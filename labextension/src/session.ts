/**
 * One challenge as the panels show it: its detail, runs, history and hints,
 * and its notebook's restores and resets (`restore.ts`). Sessions are made
 * and held by {@link CodeQuestModel}, which gives them the API client, the
 * dialogs and the settings.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from './errors';
import type { CodeQuestModel } from './model';
import { INotebookHandle } from './notebook';
import { SubmissionRun } from './run';
import { IUndoRestore, NotebookRestores } from './restore';
import { refuses } from './schedule';
import {
  IChallengeDetail,
  IGradeResult,
  isFinal,
  ISubmissionSummary,
  Mode
} from './tokens';

export type PanelTab = 'tests' | 'description' | 'history';

/** Everything the panels show about one challenge. */
export class ChallengeSession {
  constructor(
    readonly id: string,
    private _model: CodeQuestModel
  ) {
    this._restores = new NotebookRestores({
      challengeId: id,
      client: _model.client,
      host: _model.host,
      changed: () => this._emit()
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  detail: IChallengeDetail | null = null;
  detailError: string | null = null;
  /** The latest run, live or finished. */
  run: SubmissionRun | null = null;
  /** Set when the latest run was a passing Submit, until dismissed. */
  celebrate = false;
  /**
   * The confetti of the current celebration has yet to play: it plays once
   * per success, not each time the Tests tab is shown again.
   */
  confettiPending = false;
  /**
   * The latest finished submission from the history, shown until this page
   * runs the tests itself: what the learner saw before a reload.
   */
  lastResult: IGradeResult | null = null;
  history: ISubmissionSummary[] | null = null;
  historyTotal = 0;
  historyError: string | null = null;
  /** The history entry being looked at. */
  selected: {
    id: string;
    result: IGradeResult | null;
    error: string | null;
  } | null = null;
  /** Unlocked hints revealed so far (hints show on request only). */
  hintsShown = 0;
  tab: PanelTab = 'tests';

  get isRunning(): boolean {
    return !!this.run && this.run.isActive;
  }

  /** What "Undo restore" (or "Undo reset") would bring back. */
  get undo(): IUndoRestore | null {
    return this._restores.undo;
  }

  /** A restore, a reset or an undo is under way. */
  get busy(): NotebookRestores['busy'] {
    return this._restores.busy;
  }

  /** The outcome of the last restore, reset or undo, for the learner to read. */
  get notice(): NotebookRestores['notice'] {
    return this._restores.notice;
  }

  /**
   * True when the challenge's schedule says the server would refuse a `mode`
   * submission now (not open yet, closed, or no submission left); the Tests
   * panel says why.
   */
  refuses(mode: Mode, now: Date = this._model.now()): boolean {
    return !!this.detail && refuses(this.detail, mode, now);
  }

  setTab(tab: PanelTab): void {
    this.tab = tab;
    this._emit();
  }

  /**
   * Load the challenge and the history, unless that was done or is under
   * way; then the latest finished result, so a reloaded page shows it.
   */
  ensureLoaded(): void {
    if (!this._loadStarted) {
      this._loadStarted = true;
      void this.load();
      void this.loadHistory().then(() => this.loadLastResult());
    }
  }

  /**
   * Fetch the newest finished submission of the history as `lastResult`,
   * unless a run of this page is already shown.
   */
  async loadLastResult(): Promise<void> {
    const latest = (this.history ?? []).find(entry => isFinal(entry.status));
    if (!latest || this.run || this.lastResult?.id === latest.id) {
      return;
    }
    try {
      const result = await this._model.client.getSubmission(latest.id);
      if (!this.run) {
        this.lastResult = result;
        this._emit();
      }
    } catch {
      // The history tab still lists it; the Tests tab shows the test list.
    }
  }

  /** Load the description, hints and progress. */
  async load(): Promise<void> {
    try {
      this.detail = await this._model.client.getChallenge(this.id);
      this.detailError = null;
      this.hintsShown = Math.min(this.hintsShown, this.detail.hints.length);
    } catch (error) {
      this.detailError = errorMessage(error);
    }
    this._emit();
  }

  /** Load this learner's submissions, newest first. */
  async loadHistory(): Promise<void> {
    try {
      const list = await this._model.client.listSubmissions(this.id, 50, 0);
      this.history = list.submissions;
      this.historyTotal = list.total;
      this.historyError = null;
    } catch (error) {
      this.historyError = errorMessage(error);
    }
    this._emit();
  }

  /** Reveal the next unlocked hint. */
  showHint(): void {
    const available = this.detail?.hints.length ?? 0;
    if (this.hintsShown < available) {
      this.hintsShown += 1;
      this._emit();
    }
  }

  dismissCelebration(): void {
    this.celebrate = false;
    this.confettiPending = false;
    this._emit();
  }

  /** The celebration's confetti has played (no emit: nothing else changes). */
  confettiPlayed(): void {
    this.confettiPending = false;
  }

  /**
   * Run the public tests (`run`) or everything (`submit`) on the notebook.
   * Resolves when the submission is graded or has failed.
   */
  async start(mode: Mode, notebook: INotebookHandle): Promise<void> {
    if (this.isRunning || this.refuses(mode)) {
      return;
    }
    const settings = this._model.settings;
    this.run?.dispose();
    const run = new SubmissionRun({
      client: this._model.client,
      challengeId: this.id,
      mode,
      save: settings.autoSave ? () => notebook.save() : undefined,
      // The server reads the saved workspace file; without auto-save the
      // editor's copy is sent, so the learner is graded on what they see.
      source: () =>
        settings.autoSave
          ? { path: notebook.path }
          : { notebook: notebook.toJSON() },
      watch: this._model.watchOptions
    });
    this.run = run;
    this.lastResult = null;
    this.celebrate = false;
    this.confettiPending = false;
    this.selected = null;
    this.tab = 'tests';
    run.changed.connect(this._emit, this);
    const finished = new Promise<void>(resolve => {
      run.finished.connect(() => resolve());
    });
    this._emit();
    await run.start();
    if (mode === 'submit') {
      // The server counts a submit when it accepts it: show the new count
      // now, not when grading ends (and a refusal may mean a stale count).
      void this.load();
    }
    await finished;
    if (this.run !== run) {
      return;
    }
    const result = run.result;
    this.celebrate =
      mode === 'submit' && !!result && result.status === 'passed';
    this.confettiPending = this.celebrate;
    this._emit();
    if (result) {
      // New progress may unlock hints and changes the best score.
      await Promise.all([this.load(), this.loadHistory()]);
      this._model.notifySubmissionFinished(this.id, result);
    }
  }

  /** Show one history entry's full result (`null` goes back to the list). */
  async select(sid: string | null): Promise<void> {
    if (sid === null) {
      this.selected = null;
      this._emit();
      return;
    }
    this.selected = { id: sid, result: null, error: null };
    this._emit();
    try {
      const result = await this._model.client.getSubmission(sid);
      if (this.selected?.id === sid) {
        this.selected = { id: sid, result, error: null };
      }
    } catch (error) {
      if (this.selected?.id === sid) {
        this.selected = { id: sid, result: null, error: errorMessage(error) };
      }
    }
    this._emit();
  }

  /**
   * Put submission `sid`'s code back into the notebook, after asking.
   * The server keeps the current file as a checkpoint, which "Undo restore"
   * brings back.
   */
  restore(sid: string, notebook: INotebookHandle): Promise<boolean> {
    return this._restores.restore(sid, notebook);
  }

  /**
   * Put the challenge's starter notebook (and starter files) back, after
   * asking; undone like a restore.
   */
  reset(notebook: INotebookHandle): Promise<boolean> {
    return this._restores.reset(notebook);
  }

  /** Bring back the notebook as it was before the last restore or reset. */
  undoRestore(notebook: INotebookHandle): Promise<boolean> {
    return this._restores.undoRestore(notebook);
  }

  dispose(): void {
    this.run?.dispose();
    Signal.clearData(this);
  }

  private _emit(): void {
    this._changed.emit();
    this._model.notifySessionChanged(this);
  }

  private _changed = new Signal<this, void>(this);
  private _loadStarted = false;
  private _restores: NotebookRestores;
}

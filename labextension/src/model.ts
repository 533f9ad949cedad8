/**
 * The state behind the panels: the server's presence, the current notebook,
 * the settings, and one {@link ChallengeSession} per challenge (`session.ts`:
 * its runs, history and restores).
 *
 * Nothing here touches the DOM or JupyterLab's shell: the plugin passes the
 * API client, dialogs and the contents API in, so the logic runs in unit
 * tests against fakes.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage, errorStatus } from './errors';
import { INotebookHandle } from './notebook';
import { ChallengeSession } from './session';
import { IWatchOptions } from './stream';
import {
  API_VERSION,
  ICodeQuestClient,
  IGradeResult,
  IServerInfo,
  Mode
} from './tokens';

export { ChallengeSession } from './session';
export type { IUndoRestore } from './restore';
export type { PanelTab } from './session';

/** User settings that change what the panels do (schema/plugin.json). */
export interface ICodeQuestSettings {
  /** Save the notebook before grading it; otherwise send the editor's copy. */
  autoSave: boolean;
  /** Confetti when a submission passes every test. */
  confetti: boolean;
  /** Bring the Tests panel forward when tests start. */
  revealPanelOnRun: boolean;
}

export const DEFAULT_SETTINGS: ICodeQuestSettings = {
  autoSave: true,
  confetti: true,
  revealPanelOnRun: true
};

/** Whether the CodeQuest server extension answers, and speaks our API. */
export type ServerState =
  | { state: 'checking' }
  | { state: 'ok'; info: IServerInfo }
  /** `GET info` gave 404: the server extension is not installed or enabled. */
  | { state: 'missing' }
  | { state: 'mismatch'; info: IServerInfo }
  | { state: 'unreachable'; message: string };

/** Dialogs and file operations the model asks the host for. */
export interface IModelHost {
  /** Ask the learner to confirm; resolve true to go ahead. */
  confirm(options: {
    title: string;
    body: string;
    accept: string;
  }): Promise<boolean>;
  /** The contents API's checkpoints of a file. */
  listCheckpoints(
    path: string
  ): Promise<{ id: string; last_modified: string }[]>;
  restoreCheckpoint(path: string, checkpointId: string): Promise<void>;
  /** Translated strings for dialogs. */
  __(msgid: string, ...args: string[]): string;
}

export interface IModelOptions {
  client: ICodeQuestClient;
  host: IModelHost;
  settings?: ICodeQuestSettings;
  watch?: IWatchOptions;
}

/** The model shared by the challenge browser and the Tests panel. */
export class CodeQuestModel {
  constructor(options: IModelOptions) {
    this.client = options.client;
    this.host = options.host;
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.watchOptions = options.watch;
  }

  readonly client: ICodeQuestClient;
  readonly host: IModelHost;
  readonly watchOptions: IWatchOptions | undefined;
  settings: ICodeQuestSettings;

  /** Fires when the server state, the current notebook or settings change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Fires with the challenge id when a submission of it is graded. */
  get submissionFinished(): ISignal<
    this,
    { challengeId: string; result: IGradeResult }
  > {
    return this._submissionFinished;
  }

  /** The server's time now: deadlines are judged by its clock, not the browser's. */
  now(): Date {
    return this.client.serverNow?.() ?? new Date();
  }

  get server(): ServerState {
    return this._server;
  }

  /** `GET info`: is the server extension there, and does it speak our API? */
  async checkServer(): Promise<ServerState> {
    this._server = { state: 'checking' };
    this._changed.emit();
    try {
      const info = await this.client.info();
      this._server =
        info.api_version === API_VERSION
          ? { state: 'ok', info }
          : { state: 'mismatch', info };
    } catch (error) {
      this._server =
        errorStatus(error) === 404
          ? { state: 'missing' }
          : { state: 'unreachable', message: errorMessage(error) };
    }
    this._changed.emit();
    return this._server;
  }

  /** The challenge notebook the Tests panel follows, if any. */
  get current(): INotebookHandle | null {
    return this._current;
  }

  /** The session of the current notebook's challenge. */
  get session(): ChallengeSession | null {
    return this._current ? this.sessionFor(this._current.challengeId) : null;
  }

  /** Follow another notebook (or none); loads its challenge the first time. */
  setCurrent(notebook: INotebookHandle | null): void {
    if (notebook === this._current) {
      return;
    }
    this._current = notebook;
    if (notebook) {
      this.sessionFor(notebook.challengeId).ensureLoaded();
    }
    this._changed.emit();
  }

  /** The session of a challenge, made on first use. */
  sessionFor(challengeId: string): ChallengeSession {
    let session = this._sessions.get(challengeId);
    if (!session) {
      session = new ChallengeSession(challengeId, this);
      this._sessions.set(challengeId, session);
    }
    return session;
  }

  /** Grade the current notebook (or the one given). */
  async start(mode: Mode, notebook = this._current): Promise<void> {
    if (!notebook) {
      return;
    }
    await this.sessionFor(notebook.challengeId).start(mode, notebook);
  }

  /**
   * Check the server again and reload what the panels show (the challenge
   * browser listens to `refreshed`).
   */
  async refresh(): Promise<void> {
    const state = await this.checkServer();
    const session = this.session;
    if (state.state === 'ok' && session) {
      await Promise.all([session.load(), session.loadHistory()]);
    }
    this._refreshed.emit();
  }

  /** Fires after `refresh()`. */
  get refreshed(): ISignal<this, void> {
    return this._refreshed;
  }

  updateSettings(settings: Partial<ICodeQuestSettings>): void {
    this.settings = { ...this.settings, ...settings };
    this._changed.emit();
  }

  /** Fires when any challenge's session changes (a run starts, a test arrives...). */
  get sessionChanged(): ISignal<this, ChallengeSession> {
    return this._sessionChanged;
  }

  /** @internal Called by sessions on every change. */
  notifySessionChanged(session: ChallengeSession): void {
    this._sessionChanged.emit(session);
  }

  /** @internal Called by sessions when a submission is graded. */
  notifySubmissionFinished(challengeId: string, result: IGradeResult): void {
    this._submissionFinished.emit({ challengeId, result });
  }

  dispose(): void {
    for (const session of this._sessions.values()) {
      session.dispose();
    }
    this._sessions.clear();
    Signal.clearData(this);
  }

  private _server: ServerState = { state: 'checking' };
  private _current: INotebookHandle | null = null;
  private _sessions = new Map<string, ChallengeSession>();
  private _changed = new Signal<this, void>(this);
  private _refreshed = new Signal<this, void>(this);
  private _sessionChanged = new Signal<this, ChallengeSession>(this);
  private _submissionFinished = new Signal<
    this,
    { challengeId: string; result: IGradeResult }
  >(this);
}

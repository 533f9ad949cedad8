/**
 * Putting other code into a challenge notebook and taking it back:
 * restoring a submission, resetting to the starter, and undoing either from
 * the checkpoint the server kept of the file it replaced. A
 * {@link ChallengeSession} holds one per challenge and shows its state.
 */

import { errorMessage } from './errors';
import type { IModelHost } from './model';
import { INotebookHandle } from './notebook';
import { ICodeQuestClient, IRestoreResponse } from './tokens';

/** What an "Undo restore" (or undoing a reset) needs. */
export interface IUndoRestore {
  path: string;
  /** The restored submission; `null` for a reset to the starter. */
  submissionId: string | null;
  checkpoint: NonNullable<IRestoreResponse['checkpoint']>;
}

/**
 * Whether two checkpoint times name the same instant (the contents API and
 * the restore response may spell it differently); times that do not parse
 * must be the same text.
 */
export function sameInstant(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return isNaN(ta) || isNaN(tb) ? a === b : ta === tb;
}

export interface INotebookRestoresOptions {
  challengeId: string;
  client: ICodeQuestClient;
  /** The dialogs and the contents API's checkpoints. */
  host: IModelHost;
  /** Called on every change of `undo`, `busy` or `notice`. */
  changed: () => void;
}

/** The restores, resets and undos of one challenge's notebook. */
export class NotebookRestores {
  constructor(private _options: INotebookRestoresOptions) {}

  /** What "Undo restore" (or "Undo reset") would bring back. */
  undo: IUndoRestore | null = null;
  /** A restore, a reset or an undo is under way. */
  busy: 'restore' | 'reset' | 'undo' | null = null;
  /** The outcome of the last restore, reset or undo, for the learner to read. */
  notice: { text: string; tone: 'info' | 'error' } | null = null;

  /**
   * Put submission `sid`'s code back into the notebook, after asking.
   * The server keeps the current file as a checkpoint, which "Undo restore"
   * brings back.
   */
  async restore(sid: string, notebook: INotebookHandle): Promise<boolean> {
    const host = this._options.host;
    return this._replace(
      'restore',
      notebook,
      {
        title: host.__('Restore this submission?'),
        body: host.__(
          'The notebook %1 will be replaced by the code of this submission. Your current version is kept as a checkpoint, so you can undo the restore.',
          notebook.path
        ),
        accept: host.__('Restore')
      },
      () => this._options.client.restore(sid),
      sid
    );
  }

  /**
   * Put the challenge's starter notebook (and starter files) back, after
   * asking; undone like a restore.
   */
  async reset(notebook: INotebookHandle): Promise<boolean> {
    const host = this._options.host;
    return this._replace(
      'reset',
      notebook,
      {
        title: host.__('Reset to the starter?'),
        body: host.__(
          'The notebook %1 and the challenge’s starter files will be replaced by the starter versions. Your current version is kept as a checkpoint, so you can undo the reset.',
          notebook.path
        ),
        accept: host.__('Reset')
      },
      () => this._options.client.reset(this._options.challengeId),
      null
    );
  }

  private async _replace(
    what: 'restore' | 'reset',
    notebook: INotebookHandle,
    question: { title: string; body: string; accept: string },
    request: () => Promise<IRestoreResponse>,
    submissionId: string | null
  ): Promise<boolean> {
    const host = this._options.host;
    if (!(await host.confirm(question))) {
      return false;
    }
    this.busy = what;
    this.notice = null;
    this._options.changed();
    try {
      // Save first so the checkpoint holds what the learner sees now (a
      // notebook that could not be read has nothing to save).
      if (!notebook.readError) {
        await notebook.save();
      }
      const response = await request();
      await notebook.revert();
      this.undo = response.checkpoint
        ? {
            path: response.path || notebook.path,
            submissionId,
            checkpoint: response.checkpoint
          }
        : null;
      this.notice = {
        text:
          what === 'restore'
            ? host.__('Restored the submission into %1.', notebook.path)
            : host.__('Reset %1 to the starter.', notebook.path),
        tone: 'info'
      };
      return true;
    } catch (error) {
      this.notice = {
        text:
          what === 'restore'
            ? host.__('Could not restore: %1', errorMessage(error))
            : host.__('Could not reset: %1', errorMessage(error)),
        tone: 'error'
      };
      return false;
    } finally {
      this.busy = null;
      this._options.changed();
    }
  }

  /** Bring back the notebook as it was before the last restore. */
  async undoRestore(notebook: INotebookHandle): Promise<boolean> {
    const undo = this.undo;
    if (!undo) {
      return false;
    }
    const host = this._options.host;
    this.busy = 'undo';
    this.notice = null;
    this._options.changed();
    try {
      // A later "Save and checkpoint" replaces the checkpoint: never restore
      // a checkpoint that is not the one the restore made.
      const checkpoints = await host.listCheckpoints(undo.path);
      const same = checkpoints.find(
        c =>
          c.id === undo.checkpoint.id &&
          sameInstant(c.last_modified, undo.checkpoint.last_modified)
      );
      if (!same) {
        this.undo = null;
        this.notice = {
          text: host.__(
            'The version from before the restore is gone: a later save replaced its checkpoint.'
          ),
          tone: 'error'
        };
        return false;
      }
      await host.restoreCheckpoint(undo.path, undo.checkpoint.id);
      await notebook.revert();
      this.undo = null;
      this.notice = {
        text:
          undo.submissionId === null
            ? host.__('Undid the reset: your previous version is back.')
            : host.__('Undid the restore: your previous version is back.'),
        tone: 'info'
      };
      return true;
    } catch (error) {
      this.notice = {
        text: host.__('Could not undo the restore: %1', errorMessage(error)),
        tone: 'error'
      };
      return false;
    } finally {
      this.busy = null;
      this._options.changed();
    }
  }
}

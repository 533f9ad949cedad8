/**
 * The open notebooks seen as challenge notebooks: each `NotebookPanel` gets
 * one stable {@link INotebookHandle} (or `null` when it is no challenge's),
 * resolved once the notebook loads or is found unreadable.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';

import { errorMessage } from './errors';
import { challengeIdOf, INotebookHandle } from './notebook';

/** How long a notebook may take to load before the server is asked why not. */
const PROBE_AFTER_MS = 1500;

/**
 * Why a notebook could not be read, from the server's message. That message
 * names the file by its absolute path on the server: a file that is not JSON
 * is said so in the learner's words instead.
 */
export function unreadableReason(
  message: string,
  trans: TranslationBundle
): string {
  return /not appear to be JSON|NotJSONError/.test(message)
    ? trans.__('it is not valid JSON')
    : message;
}

/** An open NotebookPanel seen through the panels' interface. */
export class PanelHandle implements INotebookHandle {
  constructor(
    readonly panel: NotebookPanel,
    readonly challengeId: string,
    private _app: JupyterFrontEnd,
    readonly readError: string | null = null
  ) {}

  get id(): string {
    return this.panel.id;
  }

  get path(): string {
    return this.panel.context.path;
  }

  get dirty(): boolean {
    return !!this.panel.context.model?.dirty;
  }

  get disposed() {
    return this.panel.disposed;
  }

  save(): Promise<void> {
    return this.panel.context.save();
  }

  async revert(): Promise<void> {
    if (!this.readError) {
      return this.panel.context.revert();
    }
    // A notebook that never loaded cannot be reverted (its context never gets
    // ready): open the file afresh in a new widget instead.
    const path = this.panel.context.path;
    this.panel.context.model.dirty = false;
    this.panel.dispose();
    await this._app.commands.execute('docmanager:open', {
      path,
      factory: 'Notebook'
    });
  }

  toJSON(): unknown {
    return this.panel.context.model.toJSON();
  }

  activateCell(index: number): void {
    if (this.panel.isDisposed) {
      return;
    }
    const notebook = this.panel.content;
    this._app.shell.activateById(this.panel.id);
    if (index < 0 || index >= notebook.widgets.length) {
      return;
    }
    notebook.activeCellIndex = index;
    notebook.mode = 'command';
    void notebook.scrollToCell(notebook.widgets[index], 'center');
    notebook.activate();
  }
}

/** The arguments of a command that acts on one notebook. */
export interface INotebookArgs {
  /** The panel's id; the current notebook when absent. */
  notebookId?: unknown;
}

/**
 * One handle per open challenge notebook, so the model sees stable objects.
 */
export class ChallengeNotebooks {
  constructor(
    private _app: JupyterFrontEnd,
    readonly tracker: INotebookTracker,
    private _trans: TranslationBundle
  ) {}

  /** The handle of a panel, resolved once (`null`: not a challenge notebook). */
  handleFor(panel: NotebookPanel | null): Promise<PanelHandle | null> {
    if (!panel || panel.isDisposed) {
      return Promise.resolve(null);
    }
    let handle = this._resolving.get(panel);
    if (!handle) {
      handle = this._resolve(panel);
      this._resolving.set(panel, handle);
    }
    return handle;
  }

  /** The handle of a panel if it is resolved already (commands ask synchronously). */
  known(panel: NotebookPanel | null): PanelHandle | null {
    return panel ? (this._handles.get(panel) ?? null) : null;
  }

  /** The notebook a command acts on: the one named in args, else the current one. */
  target(args: INotebookArgs): NotebookPanel | null {
    if (typeof args.notebookId === 'string') {
      return this.tracker.find(panel => panel.id === args.notebookId) ?? null;
    }
    return this.tracker.currentWidget;
  }

  private async _resolve(panel: NotebookPanel): Promise<PanelHandle | null> {
    const outcome = await this._loaded(panel);
    let handle: PanelHandle | null;
    if (outcome === true) {
      const metadata = panel.context.model.metadata as
        { [key: string]: unknown } | undefined;
      const id = challengeIdOf(panel.context.path, metadata);
      handle = id ? new PanelHandle(panel, id, this._app) : null;
    } else {
      // Unreadable: the workspace path still names the challenge.
      const id = challengeIdOf(panel.context.path);
      handle = id ? new PanelHandle(panel, id, this._app, outcome) : null;
    }
    this._handles.set(panel, handle);
    return handle;
  }

  /**
   * Resolves true once the notebook is loaded, or with the reason it cannot
   * be: a file that is not valid JSON never makes the context ready, so after
   * a while the server is asked why.
   */
  private _loaded(panel: NotebookPanel): Promise<true | string> {
    const contents = this._app.serviceManager.contents;
    return new Promise(resolve => {
      let settled = false;
      void panel.context.ready.then(() => {
        settled = true;
        resolve(true);
      });
      const probe = async () => {
        if (settled || panel.isDisposed) {
          return;
        }
        try {
          await contents.get(panel.context.path, {
            type: 'notebook',
            content: true
          });
        } catch (error) {
          if (!settled) {
            settled = true;
            resolve(unreadableReason(errorMessage(error), this._trans));
          }
        }
      };
      setTimeout(() => void probe(), PROBE_AFTER_MS);
    });
  }

  private _handles = new WeakMap<NotebookPanel, PanelHandle | null>();
  private _resolving = new WeakMap<
    NotebookPanel,
    Promise<PanelHandle | null>
  >();
}

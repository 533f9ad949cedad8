/**
 * Run tests and Submit in the toolbar of challenge notebooks (and no other
 * notebook's): buttons over the commands of the same names, bound to their
 * notebook, placed before the toolbar's spacer.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { CommandToolbarButton } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import type { ChallengeNotebooks } from './panels';
import { CommandIDs } from './tokens';

/** The toolbar items: their names in the toolbar and their commands. */
const BUTTONS: ReadonlyArray<[string, string]> = [
  ['codequest-run-tests', CommandIDs.runTests],
  ['codequest-submit', CommandIDs.submit]
];

/**
 * Add the buttons to every challenge notebook opened from now on;
 * `onAdded` is called with the panel once its buttons are there.
 */
export function addToolbarButtons(
  app: JupyterFrontEnd,
  notebooks: ChallengeNotebooks,
  onAdded: (panel: NotebookPanel) => void
): void {
  const { commands } = app;
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew(
      panel: NotebookPanel,
      context: DocumentRegistry.IContext<INotebookModel>
    ): IDisposable {
      const added: CommandToolbarButton[] = [];
      void context.ready.then(async () => {
        const handle = await notebooks.handleFor(panel);
        if (!handle || panel.isDisposed) {
          return;
        }
        for (const [name, id] of BUTTONS) {
          const button = new CommandToolbarButton({
            commands,
            id,
            args: { notebookId: panel.id, toolbar: true }
          });
          button.addClass('jp-codequest-toolbar-button');
          if (!panel.toolbar.insertBefore('spacer', name, button)) {
            panel.toolbar.addItem(name, button);
          }
          added.push(button);
        }
        onAdded(panel);
      });
      return new DisposableDelegate(() => {
        for (const button of added) {
          button.dispose();
        }
      });
    }
  });
}

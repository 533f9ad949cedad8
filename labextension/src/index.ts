/**
 * The CodeQuest JupyterLab plugin: wires the challenge browser, the Tests
 * panel, the notebook toolbar buttons and the commands to one model. Each of
 * those lives in a module of its own: `panels.ts` (which open notebooks are
 * challenge notebooks), `commands.ts`, `toolbar.ts` and `settings.ts`.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showDialog, Dialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CodeQuestClient } from './api';
import { addCommands, refreshCommands, shortcutOf } from './commands';
import { CodeQuestModel, IModelHost } from './model';
import { instructorPlugin } from './instructor/plugin';
import { ChallengeNotebooks } from './panels';
import { followSettings } from './settings';
import { addToolbarButtons } from './toolbar';
import { CommandIDs } from './tokens';
import { createBrowserPanel, createTestsPanel, WidgetIDs } from './widgets';

const PLUGIN_ID = 'codequest-jupyter:plugin';

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  rendermime: IRenderMimeRegistry,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  translator: ITranslator | null,
  palette: ICommandPalette | null
): void {
  translator = translator ?? nullTranslator;
  const trans = translator.load('codequest');
  const { commands, shell } = app;
  const contents = app.serviceManager.contents;

  const host: IModelHost = {
    async confirm({ title, body, accept }) {
      const result = await showDialog({
        title,
        body,
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: accept })
        ]
      });
      return result.button.accept;
    },
    listCheckpoints: path => contents.listCheckpoints(path),
    restoreCheckpoint: (path, id) => contents.restoreCheckpoint(path, id),
    // The model's strings pass through here; each is a literal where the model calls it.
    // eslint-disable-next-line jupyter/no-dynamic-translation
    __: (msgid, ...args) => trans.__(msgid, ...args)
  };
  const client = new CodeQuestClient(app.serviceManager.serverSettings);
  const model = new CodeQuestModel({ client, host });
  const notebooks = new ChallengeNotebooks(app, tracker, trans);

  /** The Tests panel follows the current notebook if it is a challenge's. */
  const followCurrent = async () => {
    const panel = tracker.currentWidget;
    const handle = await notebooks.handleFor(panel);
    // Another notebook may have become current while this one loaded.
    if (tracker.currentWidget === panel) {
      model.setCurrent(handle);
    }
    refreshCommands(commands);
  };

  const revealTests = (returnTo?: NotebookPanel | null) => {
    shell.activateById(WidgetIDs.tests);
    if (returnTo && !returnTo.isDisposed) {
      // Keep the keyboard in the notebook: the panel is for reading.
      shell.activateById(returnTo.id);
    }
  };

  const openChallenge = async (id: string): Promise<void> => {
    const workspace = await model.client.createWorkspace(id);
    const widget = await commands.execute('docmanager:open', {
      path: workspace.path,
      factory: 'Notebook'
    });
    const session = model.sessionFor(id);
    if (!session.run) {
      // A challenge just opened: its description is what the learner needs.
      session.setTab('description');
    }
    revealTests(widget instanceof NotebookPanel ? widget : null);
  };

  const browser = createBrowserPanel({
    model,
    translator,
    onOpen: openChallenge,
    onOpenDashboard: () => void commands.execute(CommandIDs.openDashboard)
  });
  const testsPanel = createTestsPanel({
    model,
    translator,
    rendermime,
    onOpenChallenge: id =>
      void commands.execute(CommandIDs.openChallenge, { id }),
    onBrowse: () => shell.activateById(WidgetIDs.browser),
    shortcuts: () => ({
      run: shortcutOf(commands, CommandIDs.runTests),
      submit: shortcutOf(commands, CommandIDs.submit)
    })
  });
  shell.add(browser, 'left', { rank: 650 });
  shell.add(testsPanel, 'right', { rank: 650 });
  if (restorer) {
    restorer.add(browser, WidgetIDs.browser);
    restorer.add(testsPanel, WidgetIDs.tests);
  }

  addCommands({
    app,
    model,
    notebooks,
    trans,
    palette,
    openChallenge,
    revealTests
  });
  addToolbarButtons(app, notebooks, panel => {
    if (tracker.currentWidget === panel) {
      void followCurrent();
    }
  });
  tracker.currentChanged.connect(() => void followCurrent());
  void followCurrent();

  if (settingRegistry) {
    void followSettings(settingRegistry, PLUGIN_ID, model);
  }

  void model.checkServer().then(state => {
    if (state.state !== 'ok') {
      console.warn('codequest: server extension not usable', state);
    }
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Coding challenges in JupyterLab: a challenge browser, a Tests panel with live results, hints and submission history.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ILayoutRestorer, ISettingRegistry, ITranslator, ICommandPalette],
  activate
};

export default [plugin, instructorPlugin];

/**
 * The CodeQuest JupyterLab plugin: wires the challenge browser, the Tests
 * panel, the notebook toolbar buttons and the commands to one model.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showDialog, Dialog } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  checkIcon,
  runIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { CodeQuestClient } from './api';
import { errorMessage } from './errors';
import {
  CodeQuestModel,
  DEFAULT_SETTINGS,
  ICodeQuestSettings,
  IModelHost
} from './model';
import { instructorPlugin } from './instructor/plugin';
import { challengeIdOf, INotebookHandle } from './notebook';
import { CommandIDs, Mode } from './tokens';
import { createBrowserPanel, createTestsPanel, WidgetIDs } from './widgets';

const PLUGIN_ID = 'codequest-jupyter:plugin';

/** An open NotebookPanel seen through the panels' interface. */
class PanelHandle implements INotebookHandle {
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

  // One handle per open challenge notebook, so the model sees stable objects.
  const handles = new WeakMap<NotebookPanel, PanelHandle | null>();
  const resolving = new WeakMap<NotebookPanel, Promise<PanelHandle | null>>();

  /**
   * Resolves true once the notebook is loaded, or with the reason it cannot
   * be: a file that is not valid JSON never makes the context ready, so after
   * a while the server is asked why.
   */
  const loaded = (panel: NotebookPanel): Promise<true | string> =>
    new Promise(resolve => {
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
            // The server's message names its own absolute path: say what is wrong.
            const message = errorMessage(error);
            resolve(
              /not appear to be JSON|NotJSONError/.test(message)
                ? trans.__('it is not valid JSON')
                : message
            );
          }
        }
      };
      setTimeout(() => void probe(), 1500);
    });

  const resolveHandle = async (
    panel: NotebookPanel
  ): Promise<PanelHandle | null> => {
    const outcome = await loaded(panel);
    let handle: PanelHandle | null;
    if (outcome === true) {
      const metadata = panel.context.model.metadata as
        { [key: string]: unknown } | undefined;
      const id = challengeIdOf(panel.context.path, metadata);
      handle = id ? new PanelHandle(panel, id, app) : null;
    } else {
      // Unreadable: the workspace path still names the challenge.
      const id = challengeIdOf(panel.context.path);
      handle = id ? new PanelHandle(panel, id, app, outcome) : null;
    }
    handles.set(panel, handle);
    return handle;
  };

  const handleFor = (
    panel: NotebookPanel | null
  ): Promise<PanelHandle | null> => {
    if (!panel || panel.isDisposed) {
      return Promise.resolve(null);
    }
    let handle = resolving.get(panel);
    if (!handle) {
      handle = resolveHandle(panel);
      resolving.set(panel, handle);
    }
    return handle;
  };

  /** The notebook a command acts on: the one named in args, else the current one. */
  const targetPanel = (args: {
    notebookId?: unknown;
  }): NotebookPanel | null => {
    if (typeof args.notebookId === 'string') {
      return tracker.find(panel => panel.id === args.notebookId) ?? null;
    }
    return tracker.currentWidget;
  };
  const knownHandle = (panel: NotebookPanel | null): PanelHandle | null =>
    panel ? (handles.get(panel) ?? null) : null;

  const followCurrent = async () => {
    const panel = tracker.currentWidget;
    const handle = await handleFor(panel);
    // Another notebook may have become current while this one loaded.
    if (tracker.currentWidget === panel) {
      model.setCurrent(handle);
    }
    notifyCommands();
  };

  const notifyCommands = () => {
    for (const id of [
      CommandIDs.runTests,
      CommandIDs.submit,
      CommandIDs.showHint,
      CommandIDs.nextChallenge,
      CommandIDs.resetToStarter
    ]) {
      commands.notifyCommandChanged(id);
    }
  };

  const shortcutOf = (command: string): string | undefined => {
    const binding = commands.keyBindings.find(b => b.command === command);
    return binding
      ? binding.keys.map(k => CommandRegistry.formatKeystroke(k)).join(', ')
      : undefined;
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
      run: shortcutOf(CommandIDs.runTests),
      submit: shortcutOf(CommandIDs.submit)
    })
  });
  shell.add(browser, 'left', { rank: 650 });
  shell.add(testsPanel, 'right', { rank: 650 });
  if (restorer) {
    restorer.add(browser, WidgetIDs.browser);
    restorer.add(testsPanel, WidgetIDs.tests);
  }

  const runIn = async (mode: Mode, panel: NotebookPanel | null) => {
    const handle = await handleFor(panel);
    if (!handle) {
      return;
    }
    if (model.settings.revealPanelOnRun) {
      revealTests(panel);
    }
    await model.sessionFor(handle.challengeId).start(mode, handle);
  };

  const canRun = (args: { notebookId?: unknown }, mode: Mode) => {
    const handle = knownHandle(targetPanel(args));
    const session = handle ? model.sessionFor(handle.challengeId) : null;
    return (
      !!session &&
      model.server.state === 'ok' &&
      !session.isRunning &&
      !session.refuses(mode)
    );
  };
  const isChallenge = (args: { notebookId?: unknown }) =>
    !!knownHandle(targetPanel(args));

  commands.addCommand(CommandIDs.runTests, {
    label: trans.__('Run tests'),
    caption: trans.__('Run the public tests of this challenge'),
    icon: args => (args.toolbar ? runIcon : undefined),
    isEnabled: args => canRun(args, 'run'),
    isVisible: args => !args.toolbar || isChallenge(args),
    execute: args => runIn('run', targetPanel(args))
  });
  commands.addCommand(CommandIDs.submit, {
    label: trans.__('Submit'),
    caption: trans.__(
      'Run all tests of this challenge, hidden ones included, and record the result'
    ),
    icon: args => (args.toolbar ? checkIcon : undefined),
    isEnabled: args => canRun(args, 'submit'),
    isVisible: args => !args.toolbar || isChallenge(args),
    execute: args => runIn('submit', targetPanel(args))
  });
  commands.addCommand(CommandIDs.openBrowser, {
    label: trans.__('Browse Challenges'),
    caption: trans.__('Show the CodeQuest challenge browser'),
    execute: () => shell.activateById(WidgetIDs.browser)
  });
  commands.addCommand(CommandIDs.openTestsPanel, {
    label: trans.__('Show Challenge Tests Panel'),
    execute: () => shell.activateById(WidgetIDs.tests)
  });
  commands.addCommand(CommandIDs.openChallenge, {
    label: args =>
      args.id
        ? trans.__('Open Challenge %1', String(args.id))
        : trans.__('Open Challenge'),
    execute: async args => {
      const id = args.id as string | undefined;
      if (!id) {
        shell.activateById(WidgetIDs.browser);
        return;
      }
      try {
        await openChallenge(id);
      } catch (error) {
        void showDialog({
          title: trans.__('Could not open the challenge'),
          body: error instanceof Error ? error.message : String(error),
          buttons: [Dialog.okButton()]
        });
      }
    }
  });
  commands.addCommand(CommandIDs.showHint, {
    label: trans.__('Show Hint'),
    caption: trans.__('Reveal the next unlocked hint of this challenge'),
    isEnabled: () => {
      const session = model.session;
      return (
        !!session?.detail && session.hintsShown < session.detail.hints.length
      );
    },
    execute: () => {
      const session = model.session;
      if (session) {
        session.showHint();
        session.setTab('tests');
        revealTests(tracker.currentWidget);
      }
    }
  });
  commands.addCommand(CommandIDs.nextChallenge, {
    label: trans.__('Next Challenge'),
    isEnabled: () => !!model.session?.detail?.next,
    execute: () => {
      const next = model.session?.detail?.next;
      if (next) {
        return commands.execute(CommandIDs.openChallenge, { id: next });
      }
    }
  });
  commands.addCommand(CommandIDs.resetToStarter, {
    label: trans.__('Reset Challenge to Starter'),
    caption: trans.__(
      'Put the starter notebook and files of this challenge back (undoable)'
    ),
    isEnabled: () => !!model.current && model.server.state === 'ok',
    execute: async () => {
      const notebook = model.current;
      const session = model.session;
      if (notebook && session) {
        session.setTab('history');
        revealTests(tracker.currentWidget);
        await session.reset(notebook);
      }
    }
  });
  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Challenges'),
    execute: () => model.refresh()
  });

  if (palette) {
    const category = trans.__('CodeQuest');
    for (const command of [
      CommandIDs.runTests,
      CommandIDs.submit,
      CommandIDs.showHint,
      CommandIDs.nextChallenge,
      CommandIDs.openBrowser,
      CommandIDs.openTestsPanel,
      CommandIDs.resetToStarter,
      CommandIDs.refresh
    ]) {
      palette.addItem({ command, category });
    }
  }

  // Run tests / Submit in the toolbar of challenge notebooks only.
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew(
      panel: NotebookPanel,
      context: DocumentRegistry.IContext<INotebookModel>
    ): IDisposable {
      const added: CommandToolbarButton[] = [];
      void context.ready.then(async () => {
        const handle = await handleFor(panel);
        if (!handle || panel.isDisposed) {
          return;
        }
        const buttons: [string, string][] = [
          ['codequest-run-tests', CommandIDs.runTests],
          ['codequest-submit', CommandIDs.submit]
        ];
        for (const [name, id] of buttons) {
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
        if (tracker.currentWidget === panel) {
          void followCurrent();
        }
      });
      return new DisposableDelegate(() => {
        for (const button of added) {
          button.dispose();
        }
      });
    }
  });

  tracker.currentChanged.connect(() => void followCurrent());
  model.changed.connect(notifyCommands);
  // Run tests / Submit are disabled while that challenge is being graded,
  // whichever button started it.
  const running = new Set<string>();
  model.sessionChanged.connect((_, session) => {
    if (running.has(session.id) !== session.isRunning) {
      if (session.isRunning) {
        running.add(session.id);
      } else {
        running.delete(session.id);
      }
      notifyCommands();
    }
  });
  void followCurrent();

  if (settingRegistry) {
    const apply = (settings: ISettingRegistry.ISettings) => {
      const composite = settings.composite as Partial<ICodeQuestSettings>;
      model.updateSettings({
        autoSave: composite.autoSave ?? DEFAULT_SETTINGS.autoSave,
        confetti: composite.confetti ?? DEFAULT_SETTINGS.confetti,
        revealPanelOnRun:
          composite.revealPanelOnRun ?? DEFAULT_SETTINGS.revealPanelOnRun
      });
    };
    settingRegistry
      .load(PLUGIN_ID)
      .then(settings => {
        apply(settings);
        settings.changed.connect(apply);
      })
      .catch(reason => {
        console.error('codequest: could not load settings', reason);
      });
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

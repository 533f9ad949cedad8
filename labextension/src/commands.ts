/**
 * The CodeQuest commands: what each does, when it is enabled, and their
 * palette entries. The commands acting on a challenge are re-evaluated
 * whenever the model, the current notebook or a grading run changes, so the
 * toolbar buttons and menus never offer what the panel would refuse.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { checkIcon, runIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';

import type { CodeQuestModel } from './model';
import type { ChallengeNotebooks, INotebookArgs } from './panels';
import { CommandIDs, Mode } from './tokens';
import { WidgetIDs } from './widgets';

/** The commands whose enabled state depends on the model. */
const STATEFUL_COMMANDS = [
  CommandIDs.runTests,
  CommandIDs.submit,
  CommandIDs.showHint,
  CommandIDs.nextChallenge,
  CommandIDs.resetToStarter
];

/** The commands listed in the palette, in this order. */
const PALETTE_COMMANDS = [
  CommandIDs.runTests,
  CommandIDs.submit,
  CommandIDs.showHint,
  CommandIDs.nextChallenge,
  CommandIDs.openBrowser,
  CommandIDs.openTestsPanel,
  CommandIDs.resetToStarter,
  CommandIDs.refresh
];

export interface ICommandsOptions {
  app: JupyterFrontEnd;
  model: CodeQuestModel;
  notebooks: ChallengeNotebooks;
  trans: TranslationBundle;
  palette: ICommandPalette | null;
  /** Copy a challenge into the workspace (if need be) and open its notebook. */
  openChallenge(id: string): Promise<void>;
  /** Bring the Tests panel forward; the keyboard stays in `returnTo`. */
  revealTests(returnTo?: NotebookPanel | null): void;
}

/** Have menus and toolbar buttons ask the model-dependent commands again. */
export function refreshCommands(commands: CommandRegistry): void {
  for (const id of STATEFUL_COMMANDS) {
    commands.notifyCommandChanged(id);
  }
}

/** The key bindings of a command as the learner reads them ("Ctrl+Shift+Enter"). */
export function shortcutOf(
  commands: CommandRegistry,
  command: string
): string | undefined {
  const binding = commands.keyBindings.find(b => b.command === command);
  return binding
    ? binding.keys.map(k => CommandRegistry.formatKeystroke(k)).join(', ')
    : undefined;
}

/** Register the commands and their palette entries; keep their states current. */
export function addCommands(options: ICommandsOptions): void {
  const { app, model, notebooks, trans, openChallenge, revealTests } = options;
  const { commands, shell } = app;

  const runIn = async (mode: Mode, panel: NotebookPanel | null) => {
    const handle = await notebooks.handleFor(panel);
    if (!handle) {
      return;
    }
    if (model.settings.revealPanelOnRun) {
      revealTests(panel);
    }
    await model.sessionFor(handle.challengeId).start(mode, handle);
  };

  const canRun = (args: INotebookArgs, mode: Mode) => {
    const handle = notebooks.known(notebooks.target(args));
    const session = handle ? model.sessionFor(handle.challengeId) : null;
    return (
      !!session &&
      model.server.state === 'ok' &&
      !session.isRunning &&
      !session.refuses(mode)
    );
  };
  const isChallenge = (args: INotebookArgs) =>
    !!notebooks.known(notebooks.target(args));

  commands.addCommand(CommandIDs.runTests, {
    label: trans.__('Run tests'),
    caption: trans.__('Run the public tests of this challenge'),
    icon: args => (args.toolbar ? runIcon : undefined),
    isEnabled: args => canRun(args, 'run'),
    isVisible: args => !args.toolbar || isChallenge(args),
    execute: args => runIn('run', notebooks.target(args))
  });
  commands.addCommand(CommandIDs.submit, {
    label: trans.__('Submit'),
    caption: trans.__(
      'Run all tests of this challenge, hidden ones included, and record the result'
    ),
    icon: args => (args.toolbar ? checkIcon : undefined),
    isEnabled: args => canRun(args, 'submit'),
    isVisible: args => !args.toolbar || isChallenge(args),
    execute: args => runIn('submit', notebooks.target(args))
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
        revealTests(notebooks.tracker.currentWidget);
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
        revealTests(notebooks.tracker.currentWidget);
        await session.reset(notebook);
      }
    }
  });
  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Challenges'),
    execute: () => model.refresh()
  });

  if (options.palette) {
    const category = trans.__('CodeQuest');
    for (const command of PALETTE_COMMANDS) {
      options.palette.addItem({ command, category });
    }
  }

  model.changed.connect(() => refreshCommands(commands));
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
      refreshCommands(commands);
    }
  });
}

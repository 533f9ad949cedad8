/**
 * The Lumino widgets JupyterLab's shell holds: the challenge browser (left)
 * and the Tests panel (right), each a SidePanel around a ReactWidget.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ITranslator } from '@jupyterlab/translation';
import { ReactWidget, SidePanel } from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';
import React from 'react';

import { ChallengeBrowser } from './components/ChallengeBrowser';
import { TestsPanel } from './components/TestsPanel';
import { codequestIcon, testsIcon } from './icons';
import type { CodeQuestModel } from './model';

export namespace WidgetIDs {
  export const browser = 'codequest-browser';
  export const tests = 'codequest-tests';
}

/** The challenge browser for the left sidebar. */
export function createBrowserPanel(options: {
  model: CodeQuestModel;
  translator: ITranslator;
  onOpen: (id: string) => Promise<void>;
  onOpenDashboard?: () => void;
}): SidePanel {
  const trans = options.translator.load('codequest');
  const content = ReactWidget.create(
    <ChallengeBrowser
      model={options.model}
      onOpen={options.onOpen}
      onOpenDashboard={options.onOpenDashboard}
      trans={trans}
    />
  );
  content.addClass('jp-codequest-scroll');
  const panel = new SidePanel({
    content: new Panel(),
    translator: options.translator
  });
  panel.addWidget(content);
  // SidePanel labels every panel's region "side panel content": name ours.
  panel.content.node.setAttribute(
    'aria-label',
    trans.__('CodeQuest challenges')
  );
  panel.id = WidgetIDs.browser;
  panel.addClass('jp-codequest-sidepanel');
  panel.title.icon = codequestIcon;
  panel.title.caption = trans.__('CodeQuest challenges');
  return panel;
}

/** The Tests panel for the right sidebar; it follows the current notebook. */
export function createTestsPanel(options: {
  model: CodeQuestModel;
  translator: ITranslator;
  rendermime: IRenderMimeRegistry;
  onOpenChallenge: (id: string) => void;
  onBrowse: () => void;
  shortcuts: () => { run?: string; submit?: string };
}): SidePanel {
  const trans = options.translator.load('codequest');
  const content = ReactWidget.create(
    <TestsPanel
      model={options.model}
      rendermime={options.rendermime}
      trans={trans}
      onOpenChallenge={options.onOpenChallenge}
      onBrowse={options.onBrowse}
      shortcuts={options.shortcuts()}
    />
  );
  content.addClass('jp-codequest-scroll');
  const panel = new SidePanel({
    content: new Panel(),
    translator: options.translator
  });
  panel.addWidget(content);
  panel.content.node.setAttribute('aria-label', trans.__('CodeQuest tests'));
  panel.id = WidgetIDs.tests;
  panel.addClass('jp-codequest-tests-sidepanel');
  panel.addClass('jp-codequest-sidepanel');
  panel.title.icon = testsIcon;
  panel.title.caption = trans.__('CodeQuest tests');
  return panel;
}

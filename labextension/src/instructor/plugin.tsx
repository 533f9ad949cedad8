/**
 * The instructors' plugin: asks the server who the user is and, for an
 * instructor only, registers the "Class Dashboard" command, its launcher
 * item and palette entry. Learners get neither (and the API answers them
 * 403 anyway). The dashboard is one main-area widget that polls the class
 * matrix while it is visible.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { codequestIcon } from '../icons';
import { CommandIDs } from '../tokens';
import { InstructorClient } from './client';
import { Dashboard } from './Dashboard';
import { DashboardModel } from './model';

export const DASHBOARD_ID = 'codequest-dashboard';

/** The dashboard in the main area; polls only while it is shown. */
class DashboardWidget extends ReactWidget {
  constructor(
    readonly model: DashboardModel,
    private _render: () => JSX.Element
  ) {
    super();
    this.addClass('jp-codequest-dashboard-widget');
  }

  protected render(): JSX.Element {
    return this._render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setVisible(this.isVisible);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setVisible(false);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setVisible(false);
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}

async function activate(
  app: JupyterFrontEnd,
  rendermime: IRenderMimeRegistry,
  translator: ITranslator | null,
  palette: ICommandPalette | null,
  launcher: ILauncher | null
): Promise<void> {
  const trans = (translator ?? nullTranslator).load('codequest');
  const client = new InstructorClient(app.serviceManager.serverSettings);
  let instructor = false;
  try {
    instructor = (await client.info()).instructor === true;
  } catch {
    return; // no CodeQuest server: the main plugin tells the user
  }
  if (!instructor) {
    return;
  }

  let widget: DashboardWidget | null = null;
  app.commands.addCommand(CommandIDs.openDashboard, {
    label: trans.__('Class Dashboard'),
    caption: trans.__(
      'CodeQuest for instructors: the class, challenge statistics, attempts, gradebook and regrades'
    ),
    icon: args => (args.isPalette ? undefined : codequestIcon),
    execute: () => {
      if (!widget || widget.isDisposed) {
        const model = new DashboardModel({ client });
        widget = new DashboardWidget(model, () => (
          <Dashboard model={model} rendermime={rendermime} trans={trans} />
        ));
        widget.id = DASHBOARD_ID;
        widget.title.label = trans.__('Class Dashboard');
        widget.title.icon = codequestIcon;
        widget.title.closable = true;
      }
      if (!widget.isAttached) {
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  palette?.addItem({
    command: CommandIDs.openDashboard,
    category: trans.__('CodeQuest')
  });
  launcher?.add({
    command: CommandIDs.openDashboard,
    category: trans.__('Other'),
    rank: 1
  });
}

export const instructorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'codequest-jupyter:instructors',
  description:
    'The instructors’ class dashboard: learners × challenges, charts, attempts, gradebook export and regrades.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ITranslator, ICommandPalette, ILauncher],
  activate
};

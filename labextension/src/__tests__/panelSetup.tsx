/**
 * The Tests panel rendered over a fake client, dialogs and notebook, for the
 * specs of its tabs (`panel.spec.tsx`, `history.spec.tsx`).
 */

import { Widget } from '@lumino/widgets';
import React from 'react';

import { TestsPanel } from '../components/TestsPanel';
import {
  detail,
  fakeClient,
  FakeEventSource,
  fakeHost,
  fakeNotebook,
  flush,
  makeModel,
  render,
  trans
} from './utils';

/** Stands in for IRenderMimeRegistry: renders markdown as plain text. */
export function fakeRendermime() {
  const models: any[] = [];
  return {
    models,
    createModel: jest.fn((options: any) => {
      models.push(options);
      return options;
    }),
    createRenderer: jest.fn(() => {
      const widget = new Widget();
      (widget as any).renderModel = (model: any) => {
        widget.node.textContent = `rendered:${model.data['text/markdown']}`;
        return Promise.resolve();
      };
      return widget;
    })
  } as any;
}

/**
 * A model following a challenge notebook, and the Tests panel over it;
 * `stream: false` follows runs by polling instead of an event stream.
 */
export async function setup(
  options: {
    client?: ReturnType<typeof fakeClient>;
    host?: ReturnType<typeof fakeHost>;
    stream?: boolean;
  } = {}
) {
  const client =
    options.client ??
    fakeClient({ getChallenge: jest.fn().mockResolvedValue(detail()) });
  const host = options.host ?? fakeHost();
  const model = makeModel(
    client,
    host,
    options.stream === false
      ? { eventSource: null }
      : { eventSource: url => new FakeEventSource(url) }
  );
  await model.checkServer();
  const notebook = fakeNotebook();
  model.setCurrent(notebook);
  const onOpenChallenge = jest.fn();
  const rendermime = fakeRendermime();
  const view = await render(
    <TestsPanel
      model={model}
      rendermime={rendermime}
      trans={trans}
      onOpenChallenge={onOpenChallenge}
      onBrowse={jest.fn()}
    />
  );
  await flush();
  return {
    ...view,
    client,
    host,
    model,
    notebook,
    onOpenChallenge,
    rendermime
  };
}

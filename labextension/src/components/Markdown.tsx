/**
 * Markdown through JupyterLab's rendermime registry, which sanitizes HTML
 * and typesets math the way notebooks do.
 */

import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import React, { useLayoutEffect, useRef, useState } from 'react';

export function MarkdownView(props: {
  source: string;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | null>(null);

  // A layout effect: its clean-up runs while the host is still in the
  // document, which Lumino's detach requires.
  useLayoutEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const mime = 'text/markdown';
    const renderer = props.rendermime.createRenderer(mime);
    const model = props.rendermime.createModel({
      data: { [mime]: props.source },
      trusted: false
    });
    let disposed = false;
    Widget.attach(renderer, node);
    renderer.renderModel(model).catch(error => {
      if (!disposed) {
        setFailed(String(error));
      }
    });
    return () => {
      disposed = true;
      if (renderer.isAttached && renderer.node.isConnected) {
        Widget.detach(renderer);
      }
      if (!renderer.isAttached) {
        renderer.dispose();
      }
    };
  }, [props.source, props.rendermime]);

  return (
    <div className="jp-codequest-markdown">
      <div ref={host} />
      {failed && (
        <>
          <div className="jp-codequest-muted">
            {props.trans.__('The description could not be rendered.')}
          </div>
          <pre className="jp-codequest-pre">{props.source}</pre>
        </>
      )}
    </div>
  );
}

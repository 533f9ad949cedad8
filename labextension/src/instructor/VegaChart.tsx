/**
 * A Vega-Lite chart drawn by JupyterLab's own renderer for
 * `application/vnd.vegalite.v5+json` (the vega5 extension), through the
 * rendermime registry: the dashboard draws no chart itself.
 */

import type { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import React, { useLayoutEffect, useRef, useState } from 'react';

import { errorMessage } from '../errors';
import { VEGALITE_MIME } from './charts';

/** The plain mime model a renderer reads (trusted: we wrote the spec). */
function mimeModel(spec: Record<string, unknown>): IRenderMime.IMimeModel {
  return {
    trusted: true,
    data: { [VEGALITE_MIME]: spec as any },
    // SVG (text a screen reader and a test can read), no export menu.
    metadata: {
      [VEGALITE_MIME]: { embed_options: { renderer: 'svg', actions: false } }
    },
    setData: () => undefined
  };
}

export function VegaChart(props: {
  rendermime: IRenderMimeRegistry;
  spec: Record<string, unknown>;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { rendermime, spec, label, trans } = props;
  const host = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const available = rendermime.mimeTypes.includes(VEGALITE_MIME);

  // A layout effect: its clean-up runs while the host is still in the page,
  // where Lumino can detach the renderer.
  useLayoutEffect(() => {
    if (!available || !host.current) {
      return;
    }
    const renderer = rendermime.createRenderer(VEGALITE_MIME);
    renderer.addClass('jp-codequest-chart-output');
    Widget.attach(renderer, host.current);
    let live = true;
    renderer.renderModel(mimeModel(spec)).catch(error => {
      if (live) {
        setProblem(errorMessage(error));
      }
    });
    return () => {
      live = false;
      if (renderer.node.isConnected || !renderer.isAttached) {
        renderer.dispose();
      }
    };
  }, [rendermime, spec, available]);

  return (
    <figure className="jp-codequest-chart" aria-label={label}>
      {available ? (
        <div ref={host} className="jp-codequest-chart-host" />
      ) : (
        <p className="jp-codequest-muted">
          {trans.__(
            'Charts need JupyterLab’s Vega-Lite renderer; the data is in the table below.'
          )}
        </p>
      )}
      {problem && <p className="jp-codequest-tone-fail">{problem}</p>}
    </figure>
  );
}

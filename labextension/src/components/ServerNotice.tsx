import type { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import type { ServerState } from '../model';
import { API_VERSION } from '../tokens';

/**
 * Why the panels cannot work, when the server extension is missing, speaks
 * another API version or cannot be reached; `null` when all is well.
 */
export function ServerNotice(props: {
  server: ServerState;
  onRetry?: () => void;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { server, trans } = props;
  let title: string;
  let text: string;
  switch (server.state) {
    case 'ok':
    case 'checking':
      return null;
    case 'missing':
      title = trans.__('The CodeQuest server extension is not running');
      text = trans.__(
        'JupyterLab could not find the CodeQuest API on this server. Install the codequest_jupyter Python package in the environment that runs Jupyter Server, check that "jupyter server extension list" shows it enabled, and restart the server.'
      );
      break;
    case 'mismatch':
      title = trans.__('CodeQuest versions do not match');
      text = trans.__(
        'The server extension (version %1) speaks API version %2, but this JupyterLab extension needs API version %3. Install the same codequest_jupyter version for both and reload the page.',
        server.info.version,
        String(server.info.api_version),
        String(API_VERSION)
      );
      break;
    case 'unreachable':
      title = trans.__('The CodeQuest server could not be reached');
      text = server.message;
      break;
  }
  return (
    <div className="jp-codequest-banner jp-codequest-tone-warn" role="alert">
      <div className="jp-codequest-banner-title">{title}</div>
      <div className="jp-codequest-banner-message">{text}</div>
      {props.onRetry && (
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button"
          onClick={props.onRetry}
        >
          {trans.__('Try again')}
        </button>
      )}
    </div>
  );
}

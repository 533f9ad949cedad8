import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { ServerClock } from './clock';

/** The path of the CodeQuest API under the server's base URL. */
export const API_NAMESPACE = 'codequest/api';

/**
 * Call the CodeQuest REST API and return its JSON body.
 *
 * @param endPoint - path under `{base_url}codequest/api/`, query string included
 * @param init - fetch options (method, body, ...)
 * @param settings - server connection settings; the default ones otherwise
 * @param clock - learns the server's time from the response's `Date` header
 * @throws {ServerConnection.NetworkError} when the server cannot be reached
 * @throws {ServerConnection.ResponseError} on any non-2xx answer; its
 *   `message` is the server's `{"message": ...}` when it sent one
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  clock?: ServerClock
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  const sentAt = Date.now();
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  clock?.observe(response.headers.get('Date'), sentAt, Date.now());

  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // A proxy's HTML error page, say: keep the text for the message.
    }
  }

  if (!response.ok) {
    const message =
      data && typeof data === 'object' && typeof data.message === 'string'
        ? data.message
        : undefined;
    throw new ServerConnection.ResponseError(response, message);
  }
  return data as T;
}

/** A URL of the API, for clients that cannot use `fetch` (EventSource). */
export function apiUrl(
  endPoint: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
}

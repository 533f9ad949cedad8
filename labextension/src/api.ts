import { ServerConnection } from '@jupyterlab/services';

import { ServerClock } from './clock';
import { apiUrl, requestAPI } from './request';
import {
  IChallengeDetail,
  IChallengeList,
  IChallengeSummary,
  ICodeQuestClient,
  IGradeResult,
  IRestoreResponse,
  IServerInfo,
  ISubmissionAccepted,
  ISubmissionList,
  ISubmissionRequest,
  IWorkspace
} from './tokens';

const enc = encodeURIComponent;

/** The HTTP client of the CodeQuest REST API. */
export class CodeQuestClient implements ICodeQuestClient {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  /** The server's time now, estimated from the `Date` of its responses. */
  serverNow(): Date {
    return this._clock.now();
  }

  info(): Promise<IServerInfo> {
    return this._get<IServerInfo>('info');
  }

  async listChallenges(): Promise<IChallengeSummary[]> {
    const data = await this._get<IChallengeList>('challenges');
    return data.challenges;
  }

  getChallenge(id: string): Promise<IChallengeDetail> {
    return this._get<IChallengeDetail>(`challenges/${enc(id)}`);
  }

  createWorkspace(id: string): Promise<IWorkspace> {
    return this._post<IWorkspace>(`challenges/${enc(id)}/workspace`, {});
  }

  submit(
    challengeId: string,
    body: ISubmissionRequest
  ): Promise<ISubmissionAccepted> {
    return this._post<ISubmissionAccepted>(
      `challenges/${enc(challengeId)}/submissions`,
      body
    );
  }

  getSubmission(sid: string): Promise<IGradeResult> {
    return this._get<IGradeResult>(`submissions/${enc(sid)}`);
  }

  listSubmissions(
    challengeId: string,
    limit = 50,
    offset = 0
  ): Promise<ISubmissionList> {
    return this._get<ISubmissionList>(
      `challenges/${enc(challengeId)}/submissions?limit=${limit}&offset=${offset}`
    );
  }

  restore(sid: string): Promise<IRestoreResponse> {
    return this._post<IRestoreResponse>(`submissions/${enc(sid)}/restore`, {});
  }

  reset(challengeId: string): Promise<IRestoreResponse> {
    return this._post<IRestoreResponse>(
      `challenges/${enc(challengeId)}/reset`,
      {}
    );
  }

  eventsUrl(sid: string): string {
    const url = apiUrl(`submissions/${enc(sid)}/events`, this._settings);
    // EventSource cannot send headers. With token auth the token travels as a
    // query parameter, which jupyter_server accepts. With a cookie login under
    // JupyterHub (4.1 and later) a GET to an API must carry the XSRF token too:
    // as the `_xsrf` query parameter, as JupyterHub's own progress stream does.
    const params = new URLSearchParams();
    const token = this._settings.token;
    if (token) {
      params.set('token', token);
    }
    const xsrf = xsrfCookie();
    if (xsrf) {
      params.set('_xsrf', xsrf);
    }
    const query = params.toString();
    return query ? `${url}?${query}` : url;
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(
      endPoint,
      { method: 'GET' },
      this._settings,
      this._clock
    );
  }

  private _post<T>(endPoint: string, body: unknown): Promise<T> {
    return requestAPI<T>(
      endPoint,
      { method: 'POST', body: JSON.stringify(body) },
      this._settings,
      this._clock
    );
  }

  private _settings: ServerConnection.ISettings;
  private _clock = new ServerClock();
}

/** The `_xsrf` cookie Jupyter servers set, as JupyterLab reads it for its requests. */
function xsrfCookie(): string | undefined {
  if (typeof document === 'undefined') {
    return undefined;
  }
  const match = document.cookie.match('\\b_xsrf=([^;]*)\\b');
  return match ? match[1] : undefined;
}

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
    return this._post<IRestoreResponse>(`challenges/${enc(challengeId)}/reset`, {});
  }

  eventsUrl(sid: string): string {
    const url = apiUrl(`submissions/${enc(sid)}/events`, this._settings);
    // EventSource cannot send an Authorization header: with token auth the
    // token travels as a query parameter, which jupyter_server accepts.
    // Cookie-based logins (JupyterHub, password) need nothing extra, and a
    // GET needs no XSRF token.
    const token = this._settings.token;
    return token ? `${url}?token=${enc(token)}` : url;
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET' }, this._settings, this._clock);
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

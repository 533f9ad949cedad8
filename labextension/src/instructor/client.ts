/**
 * The HTTP client of the instructors' endpoints (every one answers 403 to
 * anyone who is not an instructor).
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, requestAPI } from '../request';
import type { IGradeResult, IServerInfo, ISubmissionList } from '../tokens';
import type {
  IChallengeStats,
  IClassMatrix,
  IInstructorClient,
  IRegradeJob,
  IRegradeRequest,
  ISubmissionCode
} from './types';

const enc = encodeURIComponent;

export class InstructorClient implements IInstructorClient {
  constructor(
    private _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  info(): Promise<IServerInfo> {
    return this._get('info');
  }

  classMatrix(): Promise<IClassMatrix> {
    return this._get('class');
  }

  challengeStats(challenge: string): Promise<IChallengeStats> {
    return this._get(`challenges/${enc(challenge)}/stats`);
  }

  learnerSubmissions(
    learner: string,
    challenge: string,
    limit = 100
  ): Promise<ISubmissionList> {
    return this._get(
      `submissions?user=${enc(learner)}&challenge=${enc(challenge)}&limit=${limit}`
    );
  }

  result(sid: string): Promise<IGradeResult> {
    return this._get(`submissions/${enc(sid)}`);
  }

  code(sid: string): Promise<ISubmissionCode> {
    return this._get(`submissions/${enc(sid)}/code`);
  }

  startRegrade(request: IRegradeRequest): Promise<IRegradeJob> {
    return requestAPI<IRegradeJob>(
      'regrades',
      { method: 'POST', body: JSON.stringify(request) },
      this._settings
    );
  }

  regrade(jobId: string): Promise<IRegradeJob> {
    return this._get(`regrades/${enc(jobId)}`);
  }

  async gradebook(): Promise<string> {
    const url = URLExt.join(
      this._settings.baseUrl,
      API_NAMESPACE,
      'gradebook.csv'
    );
    const response = await ServerConnection.makeRequest(
      url,
      {},
      this._settings
    );
    const text = await response.text();
    if (!response.ok) {
      let message: string | undefined;
      try {
        message = JSON.parse(text).message;
      } catch {
        // not JSON: the status says enough
      }
      throw new ServerConnection.ResponseError(response, message);
    }
    return text;
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET' }, this._settings);
  }
}

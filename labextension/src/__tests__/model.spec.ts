import { challengeIdOf } from '../notebook';
import { fakeClient, fakeNotebook, httpError, makeModel } from './utils';

describe('challengeIdOf', () => {
  it('reads the challenge from the workspace path', () => {
    expect(challengeIdOf('codequest/two-sum/two_sum.ipynb')).toBe('two-sum');
    expect(challengeIdOf('RTC:codequest/two-sum/two_sum.ipynb')).toBe(
      'two-sum'
    );
  });

  it('ignores notebooks elsewhere', () => {
    expect(challengeIdOf('two_sum.ipynb')).toBeNull();
    expect(challengeIdOf('work/codequest/two-sum/two_sum.ipynb')).toBeNull();
    expect(challengeIdOf('codequest/two-sum/sub/two_sum.ipynb')).toBeNull();
    expect(challengeIdOf('codequest/two-sum/notes.txt')).toBeNull();
  });

  it('prefers the notebook metadata', () => {
    expect(
      challengeIdOf('anywhere.ipynb', { codequest: { challenge: 'fizzbuzz' } })
    ).toBe('fizzbuzz');
    expect(
      challengeIdOf('codequest/two-sum/x.ipynb', {
        codequest: { challenge: 'fizzbuzz' }
      })
    ).toBe('fizzbuzz');
    expect(
      challengeIdOf('anywhere.ipynb', { codequest: { challenge: 7 } })
    ).toBeNull();
  });
});

describe('CodeQuestModel', () => {
  it('reports a reachable server with our API version', async () => {
    const model = makeModel(fakeClient());
    const state = await model.checkServer();
    expect(state).toEqual({
      state: 'ok',
      info: {
        version: '0.1.0',
        api_version: 1,
        user: 'alice',
        instructor: false
      }
    });
  });

  it('tells a missing extension from an unreachable server', async () => {
    const missing = makeModel(
      fakeClient({
        info: jest.fn().mockRejectedValue(httpError(404, 'Not Found'))
      })
    );
    expect((await missing.checkServer()).state).toBe('missing');
    const down = makeModel(
      fakeClient({
        info: jest.fn().mockRejectedValue(new Error('Failed to fetch'))
      })
    );
    expect(await down.checkServer()).toEqual({
      state: 'unreachable',
      message: 'Failed to fetch'
    });
    const broken = makeModel(
      fakeClient({ info: jest.fn().mockRejectedValue(httpError(500, 'boom')) })
    );
    expect(await broken.checkServer()).toEqual({
      state: 'unreachable',
      message: 'boom'
    });
  });

  it('loads a challenge once, when its notebook first becomes current', async () => {
    const client = fakeClient({
      getChallenge: jest.fn().mockResolvedValue({ hints: [] })
    });
    const model = makeModel(client);
    const a = fakeNotebook('two-sum');
    const b = fakeNotebook('fizzbuzz');
    model.setCurrent(a);
    model.setCurrent(b);
    model.setCurrent(a);
    await Promise.resolve();
    expect(client.getChallenge.mock.calls.map(c => c[0])).toEqual([
      'two-sum',
      'fizzbuzz'
    ]);
    expect(model.session!.id).toBe('two-sum');
    model.setCurrent(null);
    expect(model.session).toBeNull();
  });

  it('starts one run at a time per challenge', async () => {
    let accept: (value: any) => void = () => undefined;
    const client = fakeClient({
      submit: jest.fn(() => new Promise<any>(resolve => (accept = resolve))),
      getSubmission: jest
        .fn()
        .mockResolvedValue({ status: 'passed', tests: [], score: 0, total: 0 })
    });
    const model = makeModel(client, undefined, { eventSource: null });
    const notebook = fakeNotebook();
    const first = model.start('run', notebook);
    await Promise.resolve();
    await Promise.resolve();
    await model.start('submit', notebook);
    expect(model.session).toBeNull(); // not current: started by handle
    expect(model.sessionFor('two-sum').isRunning).toBe(true);
    accept({ id: 'sub1', status: 'queued' });
    await first;
    expect(client.submit).toHaveBeenCalledTimes(1);
    expect(model.sessionFor('two-sum').isRunning).toBe(false);
  });
});

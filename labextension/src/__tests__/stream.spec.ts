import { watchSubmission } from '../stream';
import {
  fakeClient,
  FakeEventSource,
  gradeResult,
  httpError,
  testResult,
  waitFor
} from './utils';

function handlers() {
  return {
    status: jest.fn(),
    collected: jest.fn(),
    test: jest.fn(),
    result: jest.fn(),
    failed: jest.fn()
  };
}

const FAST = { pollInterval: 5, maxPollInterval: 10, guardInterval: 60000 };

beforeEach(() => {
  FakeEventSource.instances = [];
});

describe('watchSubmission', () => {
  it('follows the event stream to the result, then closes it', () => {
    const client = fakeClient();
    const h = handlers();
    const watch = watchSubmission(client, 'abc', h, {
      ...FAST,
      eventSource: url => new FakeEventSource(url)
    });
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe('/codequest/api/submissions/abc/events');
    es.emit('collected', { total: 2, tests: [] });
    es.emit('test', testResult('tests/t.py::a', 'passed'));
    es.emit('test', testResult('tests/t.py::a', 'passed')); // a replay: reported once
    const final = gradeResult([
      testResult('tests/t.py::a', 'passed'),
      testResult('tests/t.py::b', 'failed')
    ]);
    es.emit('result', final);
    expect(h.collected).toHaveBeenCalledWith({ total: 2, tests: [] });
    expect(h.test).toHaveBeenCalledTimes(1);
    expect(h.result).toHaveBeenCalledWith(final);
    expect(es.closed).toBe(true);
    expect(watch.isDisposed).toBe(true);
    expect(client.getSubmission).not.toHaveBeenCalled();
  });

  it('passes on a later announcement that lists more tests, once', () => {
    const client = fakeClient();
    const h = handlers();
    watchSubmission(client, 'abc', h, {
      ...FAST,
      eventSource: url => new FakeEventSource(url)
    });
    const es = FakeEventSource.instances[0];
    const a = { id: 'tests/t.py::a', name: 'a', hidden: false, max_points: 1 };
    const secret = {
      id: 'hidden/t.py::h',
      name: 'h',
      hidden: true,
      max_points: 2
    };
    es.emit('collected', { total: 1, tests: [a] });
    es.emit('test', testResult('tests/t.py::a', 'passed'));
    // The hidden tests are announced when their turn comes.
    es.emit('collected', { total: 2, tests: [a, secret] });
    es.emit('collected', { total: 2, tests: [a, secret] }); // nothing new: not passed on
    es.emit('collected', { total: 1, tests: [a] }); // fewer: stale, not passed on
    expect(h.collected.mock.calls.map(c => c[0].total)).toEqual([1, 2]);
    expect(h.test).toHaveBeenCalledTimes(1);
  });

  it('falls back to polling when the stream fails', async () => {
    const final = gradeResult([
      testResult('tests/t.py::a', 'passed'),
      testResult('tests/t.py::b', 'passed')
    ]);
    const client = fakeClient({
      getSubmission: jest
        .fn()
        .mockResolvedValueOnce({
          ...final,
          status: 'running',
          tests: [final.tests![0], final.tests![1]].slice(0, 1)
        })
        .mockResolvedValueOnce({
          ...final,
          status: 'running',
          tests: final.tests
        })
        .mockResolvedValue(final)
    });
    const h = handlers();
    watchSubmission(client, 'abc', h, {
      ...FAST,
      eventSource: url => new FakeEventSource(url)
    });
    const es = FakeEventSource.instances[0];
    es.emit('test', testResult('tests/t.py::a', 'passed'));
    es.fail();
    expect(es.closed).toBe(true);
    await waitFor(() => expect(h.result).toHaveBeenCalledWith(final));
    // Test a came by stream, b by polling: each once.
    expect(h.test.mock.calls.map(c => c[0].id)).toEqual([
      'tests/t.py::a',
      'tests/t.py::b'
    ]);
    expect(h.failed).not.toHaveBeenCalled();
  });

  it('passes on status events, with the message of a submission that waits', () => {
    const client = fakeClient();
    const h = handlers();
    watchSubmission(client, 'abc', h, {
      ...FAST,
      eventSource: url => new FakeEventSource(url)
    });
    const es = FakeEventSource.instances[0];
    const waiting = {
      status: 'queued',
      message: 'No grading worker is running right now.'
    };
    es.emit('status', { status: 'queued' });
    es.emit('status', waiting);
    es.emit('status', { status: 'running' });
    es.emit('status', { nonsense: true }); // not a status: not passed on
    expect(h.status.mock.calls.map(c => c[0])).toEqual([
      { status: 'queued' },
      waiting,
      { status: 'running' }
    ]);
    es.emit('result', gradeResult([testResult('tests/t.py::a', 'passed')]));
    es.emit('status', waiting); // after the result: nothing
    expect(h.status).toHaveBeenCalledTimes(3);
  });

  it('reports a running status when polling finds grading started', async () => {
    const final = gradeResult([testResult('tests/t.py::a', 'passed')]);
    const client = fakeClient({
      getSubmission: jest
        .fn()
        .mockResolvedValueOnce({ ...final, status: 'queued', tests: [] })
        .mockResolvedValueOnce({ ...final, status: 'running', tests: [] })
        .mockResolvedValue(final)
    });
    const h = handlers();
    watchSubmission(client, 'abc', h, { ...FAST, eventSource: null });
    await waitFor(() => expect(h.result).toHaveBeenCalledWith(final));
    expect(h.status.mock.calls.map(c => c[0])).toEqual([{ status: 'running' }]);
  });

  it('polls when there is no EventSource at all', async () => {
    const final = gradeResult([testResult('tests/t.py::a', 'failed')]);
    const client = fakeClient({
      getSubmission: jest
        .fn()
        .mockResolvedValueOnce({ ...final, status: 'queued', tests: [] })
        .mockResolvedValue(final)
    });
    const h = handlers();
    watchSubmission(client, 'abc', h, { ...FAST, eventSource: null });
    await waitFor(() => expect(h.result).toHaveBeenCalledWith(final));
    expect(client.getSubmission).toHaveBeenCalledWith('abc');
  });

  it('gives up when the submission is gone', async () => {
    const client = fakeClient({
      getSubmission: jest
        .fn()
        .mockRejectedValue(httpError(404, 'No submission abc'))
    });
    const h = handlers();
    watchSubmission(client, 'abc', h, { ...FAST, eventSource: null });
    await waitFor(() =>
      expect(h.failed).toHaveBeenCalledWith('No submission abc')
    );
    expect(h.result).not.toHaveBeenCalled();
  });

  it('retries transient polling errors', async () => {
    const final = gradeResult([testResult('tests/t.py::a', 'passed')]);
    const client = fakeClient({
      getSubmission: jest
        .fn()
        .mockRejectedValueOnce(httpError(502, 'Bad Gateway'))
        .mockRejectedValueOnce(new Error('network down'))
        .mockResolvedValue(final)
    });
    const h = handlers();
    watchSubmission(client, 'abc', h, { ...FAST, eventSource: null });
    await waitFor(() => expect(h.result).toHaveBeenCalledWith(final));
    expect(h.failed).not.toHaveBeenCalled();
  });

  it('stops calling back once disposed', async () => {
    const client = fakeClient();
    const h = handlers();
    const watch = watchSubmission(client, 'abc', h, {
      ...FAST,
      eventSource: url => new FakeEventSource(url)
    });
    const es = FakeEventSource.instances[0];
    watch.dispose();
    es.emit('test', testResult('tests/t.py::a', 'passed'));
    expect(es.closed).toBe(true);
    expect(h.test).not.toHaveBeenCalled();
  });
});

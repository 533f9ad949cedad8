/**
 * Following one submission until it is graded: server-sent events first,
 * polling `GET submissions/{sid}` as the fallback.
 *
 * EventSource cannot send headers, and proxies sometimes buffer or cut event
 * streams, so the stream is never trusted alone: when it fails before the
 * final result, polling takes over, and while it is open a slow poll runs
 * beside it, so a silently stalled stream still ends with the result.
 */

import { errorMessage, errorStatus } from './errors';
import {
  ICodeQuestClient,
  ICollected,
  IGradeResult,
  IStatusEvent,
  ITestResult,
  isFinal
} from './tokens';

/** What a watcher reports. Each callback may be called from either channel. */
export interface ISubmissionHandlers {
  /**
   * The submission waits or is being graded. A poll that finds it running
   * reports `{ status: 'running' }`, so a waiting message never outlives a
   * stream that broke.
   */
  status?(data: IStatusEvent): void;
  collected(data: ICollected): void;
  test(data: ITestResult): void;
  result(data: IGradeResult): void;
  /** The submission cannot be followed any more (it vanished, say). */
  failed(message: string): void;
}

/** The part of the EventSource interface used here, for tests to fake. */
export interface IEventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: any) => void): void;
  close(): void;
  onerror: ((event: any) => void) | null;
}

export type EventSourceFactory = (url: string) => IEventSourceLike;

export interface IWatchOptions {
  /** Makes the event stream; `null` means poll only. Default: `window.EventSource`. */
  eventSource?: EventSourceFactory | null;
  /** First polling interval in ms when polling is the only channel (default 500). */
  pollInterval?: number;
  /** Longest polling interval in ms (default 3000). */
  maxPollInterval?: number;
  /** Interval in ms of the safety poll that runs beside an open stream (default 15000). */
  guardInterval?: number;
  /** Give up after this many failed polls in a row (default 8). */
  maxPollFailures?: number;
}

/** A running watch; `dispose()` stops it without any more callbacks. */
export interface IWatch {
  dispose(): void;
  readonly isDisposed: boolean;
}

function defaultEventSource(): EventSourceFactory | null {
  if (
    typeof window !== 'undefined' &&
    typeof window.EventSource === 'function'
  ) {
    return (url: string) =>
      new window.EventSource(url, { withCredentials: true });
  }
  return null;
}

/**
 * Follow submission `sid` until its final result.
 *
 * Exactly one of `handlers.result` or `handlers.failed` is called at the
 * end, unless the watch is disposed first.
 */
export function watchSubmission(
  client: ICodeQuestClient,
  sid: string,
  handlers: ISubmissionHandlers,
  options: IWatchOptions = {}
): IWatch {
  const factory =
    options.eventSource === undefined
      ? defaultEventSource()
      : options.eventSource;
  const pollStart = options.pollInterval ?? 500;
  const pollMax = options.maxPollInterval ?? 3000;
  const guardInterval = options.guardInterval ?? 15000;
  const maxFailures = options.maxPollFailures ?? 8;

  let finished = false;
  let source: IEventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let polling = false; // polling is the main channel (the stream is gone)
  let interval = pollStart;
  let failures = 0;
  // Test ids already reported, so the two channels never report one twice.
  const seen = new Set<string>();
  // Public tests are announced first, hidden ones when their turn comes: a later
  // announcement that lists more tests replaces the earlier one.
  let collectedTotal = -1;

  const stop = () => {
    finished = true;
    if (source) {
      source.close();
      source = null;
    }
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  };

  const deliverStatus = (data: IStatusEvent) => {
    if (finished || typeof data.status !== 'string') {
      return;
    }
    handlers.status?.(data);
  };

  const deliverCollected = (data: ICollected) => {
    if (finished || data.total <= collectedTotal) {
      return;
    }
    collectedTotal = data.total;
    handlers.collected(data);
  };

  const deliverTest = (data: ITestResult) => {
    if (finished || seen.has(data.id)) {
      return;
    }
    seen.add(data.id);
    handlers.test(data);
  };

  const deliverResult = (data: IGradeResult) => {
    if (finished) {
      return;
    }
    stop();
    handlers.result(data);
  };

  const fail = (message: string) => {
    if (finished) {
      return;
    }
    stop();
    handlers.failed(message);
  };

  const schedule = (delay: number) => {
    if (finished) {
      return;
    }
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(poll, delay);
  };

  async function poll(): Promise<void> {
    timer = null;
    if (finished) {
      return;
    }
    let data: IGradeResult;
    try {
      data = await client.getSubmission(sid);
    } catch (error) {
      const status = errorStatus(error);
      failures += 1;
      if (status === 404 || status === 403 || failures >= maxFailures) {
        fail(errorMessage(error));
        return;
      }
      schedule(Math.min(interval * 2, pollMax));
      return;
    }
    if (finished) {
      return;
    }
    failures = 0;
    if (isFinal(data.status)) {
      deliverResult(data);
      return;
    }
    if (data.status === 'running') {
      deliverStatus({ status: 'running' });
    }
    // A running submission may already carry the tests finished so far.
    for (const test of data.tests ?? []) {
      deliverTest(test);
    }
    if (polling) {
      interval = Math.min(Math.round(interval * 1.5), pollMax);
      schedule(interval);
    } else {
      schedule(guardInterval);
    }
  }

  const fallBackToPolling = () => {
    if (finished || polling) {
      return;
    }
    polling = true;
    if (source) {
      source.close();
      source = null;
    }
    interval = pollStart;
    schedule(0);
  };

  const parse = (event: { data?: string }): any => {
    try {
      return JSON.parse(event.data ?? '');
    } catch {
      return undefined;
    }
  };

  if (factory) {
    try {
      source = factory(client.eventsUrl(sid));
    } catch {
      source = null;
    }
  }

  if (source) {
    const es = source;
    es.addEventListener('status', event => {
      const data = parse(event);
      if (data) {
        deliverStatus(data as IStatusEvent);
      }
    });
    es.addEventListener('collected', event => {
      const data = parse(event);
      if (data) {
        deliverCollected(data as ICollected);
      }
    });
    es.addEventListener('test', event => {
      const data = parse(event);
      if (data) {
        deliverTest(data as ITestResult);
      }
    });
    es.addEventListener('result', event => {
      const data = parse(event);
      if (data) {
        deliverResult(data as IGradeResult);
      } else {
        fallBackToPolling();
      }
    });
    // The browser would reconnect on its own, replaying the whole stream;
    // one clean switch to polling is simpler to reason about.
    es.onerror = () => fallBackToPolling();
    schedule(guardInterval);
  } else {
    polling = true;
    schedule(0);
  }

  return {
    dispose: stop,
    get isDisposed() {
      return finished;
    }
  };
}

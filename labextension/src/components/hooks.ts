import type { ISignal } from '@lumino/signaling';
import { useEffect, useRef, useState } from 'react';

/** Re-render the calling component whenever one of the signals fires. */
export function useSignals(
  ...signals: (ISignal<unknown, unknown> | null | undefined)[]
): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const slot = () => setTick(tick => tick + 1);
    const connected = signals.filter(
      (signal): signal is ISignal<unknown, unknown> => !!signal
    );
    for (const signal of connected) {
      signal.connect(slot);
    }
    // A signal may have fired between the render and this subscription (the model
    // answered quickly): render once more, or that change would never show.
    slot();
    return () => {
      for (const signal of connected) {
        signal.disconnect(slot);
      }
    };
    // The signals themselves are the dependencies.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, signals);
}

/**
 * The current time, renewed when the minute turns or when `nextDelay` (from
 * the time now) says something changes sooner; `nextDelay` is read on each
 * renewal, so it may depend on props.
 */
export function useNow(nextDelay: (now: Date) => number): Date {
  const [now, setNow] = useState(() => new Date());
  const delayRef = useRef(nextDelay);
  delayRef.current = nextDelay;
  useEffect(() => {
    const timer = setTimeout(
      () => setNow(new Date()),
      Math.max(1, delayRef.current(now))
    );
    return () => clearTimeout(timer);
  }, [now]);
  return now;
}

import type { ISignal } from '@lumino/signaling';
import { useEffect, useState } from 'react';

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

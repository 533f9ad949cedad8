/**
 * "Challenge completed", with confetti when the settings allow it.
 *
 * The confetti is a few dozen absolutely placed spans falling by a CSS
 * animation (style/base.css); it honours `prefers-reduced-motion` there.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useMemo, useRef, useState } from 'react';

const PIECES = 48;
const CONFETTI_MS = 3500;

interface IPiece {
  left: number;
  delay: number;
  duration: number;
  drift: number;
  spin: number;
  tone: number;
}

function makePieces(count: number): IPiece[] {
  const pieces: IPiece[] = [];
  for (let i = 0; i < count; i++) {
    pieces.push({
      left: Math.random() * 100,
      delay: Math.random() * 600,
      duration: 1800 + Math.random() * 1400,
      drift: (Math.random() - 0.5) * 80,
      spin: 180 + Math.random() * 540,
      tone: i % 5
    });
  }
  return pieces;
}

/** Falling confetti that removes itself when done. */
export function Confetti(): JSX.Element | null {
  const pieces = useMemo(() => makePieces(PIECES), []);
  const [visible, setVisible] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setVisible(false), CONFETTI_MS);
    return () => clearTimeout(timer);
  }, []);
  if (!visible) {
    return null;
  }
  return (
    <div className="jp-codequest-confetti" aria-hidden="true">
      {pieces.map((piece, index) => (
        <span
          key={index}
          className={`jp-codequest-confetti-piece jp-codequest-confetti-${piece.tone}`}
          style={
            {
              left: `${piece.left}%`,
              animationDelay: `${piece.delay}ms`,
              animationDuration: `${piece.duration}ms`,
              '--jp-codequest-drift': `${piece.drift}px`,
              '--jp-codequest-spin': `${piece.spin}deg`
            } as React.CSSProperties
          }
        />
      ))}
    </div>
  );
}

/**
 * The celebration shown when a submission passes every test. `fresh` is true
 * the first time it is shown for a success: only then do the confetti play
 * (when `confetti` allows) and the next step take the focus; `onShown` then
 * tells the owner it has been seen.
 */
export function Celebration(props: {
  confetti: boolean;
  fresh: boolean;
  onShown: () => void;
  next: string | null;
  nextTitle?: string;
  onNext: (id: string) => void;
  onDismiss: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const nextButton = useRef<HTMLButtonElement>(null);
  // Decided once per mount: a re-render must not stop the confetti midway.
  const [fresh] = useState(props.fresh);
  const onShown = useRef(props.onShown);
  useEffect(() => {
    if (fresh) {
      // Keyboard users land on the obvious next step.
      nextButton.current?.focus();
      onShown.current();
    }
  }, [fresh]);
  return (
    <div className="jp-codequest-celebration" role="status">
      {props.confetti && fresh && <Confetti />}
      <div className="jp-codequest-celebration-title">
        <span aria-hidden="true">🎉 </span>
        {trans.__('Challenge completed')}
      </div>
      <div className="jp-codequest-celebration-actions">
        {props.next && (
          <button
            ref={nextButton}
            type="button"
            className="jp-mod-styled jp-mod-accept jp-codequest-button"
            onClick={() => props.onNext(props.next!)}
          >
            {props.nextTitle
              ? trans.__('Next challenge: %1', props.nextTitle)
              : trans.__('Next challenge')}
          </button>
        )}
        <button
          type="button"
          className="jp-mod-styled jp-codequest-button"
          onClick={props.onDismiss}
        >
          {trans.__('Dismiss')}
        </button>
      </div>
    </div>
  );
}

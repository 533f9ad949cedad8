/**
 * Preformatted text that may scroll (it has a maximum height): when its
 * content overflows it becomes a keyboard-focusable, labelled region, so
 * keyboard users can scroll it too (WCAG 2.1.1; axe "scrollable-region-focusable").
 */

import React, { useLayoutEffect, useRef, useState } from 'react';

export function Pre(props: {
  className?: string;
  /** What the text is, for screen readers when it is a scrolling region. */
  label: string;
  children: React.ReactNode;
}): JSX.Element {
  const node = useRef<HTMLPreElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useLayoutEffect(() => {
    const el = node.current;
    if (el) {
      setScrolls(
        el.scrollHeight > el.clientHeight || el.scrollWidth > el.clientWidth
      );
    }
  }, [props.children, props.className]);
  return (
    <pre
      ref={node}
      className={
        'jp-codequest-pre' + (props.className ? ` ${props.className}` : '')
      }
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? props.label : undefined}
    >
      {props.children}
    </pre>
  );
}

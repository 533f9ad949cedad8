import { Signal } from '@lumino/signaling';
import React, { useLayoutEffect, useRef } from 'react';

import { useSignals } from '../components/hooks';
import { render } from './utils';

/** A value that changes, with the signal that says so. */
class Source {
  value = 'before';
  readonly changed = new Signal<this, void>(this);
  set(value: string): void {
    this.value = value;
    this.changed.emit();
  }
}

function Show(props: { source: Source }): JSX.Element {
  useSignals(props.source.changed);
  return <span>{props.source.value}</span>;
}

/** Runs its action once, from a layout effect of its first render. */
function Fire(props: { action: () => void }): null {
  const action = useRef(props.action);
  useLayoutEffect(() => action.current(), []);
  return null;
}

describe('useSignals', () => {
  it('re-renders when the signal fires', async () => {
    const source = new Source();
    const { container } = await render(<Show source={source} />);
    expect(container.textContent).toBe('before');
    const { act } = await import('react');
    await act(async () => source.set('after'));
    expect(container.textContent).toBe('after');
  });

  it('shows a change signalled between the render and the subscription', async () => {
    // As when the panel switches to a challenge whose details arrive at once: the
    // signal fires after the render that read the old value (here from a layout
    // effect, which runs before passive effects), before useSignals connects.
    const source = new Source();
    const { container } = await render(
      <>
        <Show source={source} />
        <Fire action={() => source.set('after')} />
      </>
    );
    expect(container.textContent).toBe('after');
  });
});

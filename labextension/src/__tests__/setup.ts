// React 18: let `act` flush effects and updates in tests.
(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

// jsdom has no DragEvent, which @lumino/dragdrop (under @lumino/widgets)
// subclasses at import time.
if (typeof (globalThis as any).DragEvent === 'undefined') {
  (globalThis as any).DragEvent = class DragEvent extends MouseEvent {};
}

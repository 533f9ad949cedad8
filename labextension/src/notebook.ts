/**
 * What the panels need from an open challenge notebook, and how to tell that
 * a notebook is one.
 */

import type { ISignal } from '@lumino/signaling';

/** Workspace notebooks live at `codequest/<challenge id>/<notebook>.ipynb`. */
const WORKSPACE_PATH = /^codequest\/([^/]+)\/[^/]+\.ipynb$/;

/**
 * The challenge id of a notebook, from its metadata
 * (`metadata.codequest.challenge`) or else its workspace path; `null` when
 * the notebook is not a challenge notebook.
 */
export function challengeIdOf(
  path: string,
  metadata?: { [key: string]: unknown } | null
): string | null {
  const codequest = metadata?.codequest as
    { challenge?: unknown } | undefined | null;
  if (
    codequest &&
    typeof codequest.challenge === 'string' &&
    codequest.challenge
  ) {
    return codequest.challenge;
  }
  // Drive-prefixed paths ("RTC:codequest/...") belong to the same file.
  const local = path.includes(':') ? path.slice(path.indexOf(':') + 1) : path;
  const match = WORKSPACE_PATH.exec(local);
  return match ? decodeURIComponent(match[1]) : null;
}

/**
 * An open challenge notebook, as the panels see it. The plugin wraps a
 * `NotebookPanel`; unit tests pass a fake.
 */
export interface INotebookHandle {
  /** A stable key for the open widget. */
  readonly id: string;
  /** The notebook's path on the server. */
  readonly path: string;
  readonly challengeId: string;
  /**
   * Why the notebook could not be loaded (not valid JSON, say); the panels
   * still follow it, to say so. Absent or null when it loaded.
   */
  readonly readError?: string | null;
  /** True when the notebook has unsaved changes. */
  readonly dirty: boolean;
  /** Save the notebook to disk (`context.save()`). */
  save(): Promise<void>;
  /** Reload the notebook from disk (`context.revert()`). */
  revert(): Promise<void>;
  /** The notebook's JSON as it is in the editor. */
  toJSON(): unknown;
  /** Select cell `index` (0-based, among all cells) and bring it into view. */
  activateCell(index: number): void;
  /** Fires when the notebook is closed. */
  readonly disposed: ISignal<unknown, void>;
}

/**
 * A stored attempt's code as text, and the difference between two attempts
 * (computed by jsdiff's `structuredPatch`, the `diff` package).
 */

import { structuredPatch } from 'diff';

import type { ISubmissionCode } from './types';

function sourceOf(source: string | string[] | undefined): string {
  return Array.isArray(source) ? source.join('') : (source ?? '');
}

/**
 * The notebook's code cells, each under a `# In [n]` line (n counts code
 * cells from 1), then every extra file under a `# File: path` line.
 */
export function codeText(code: ISubmissionCode | null): string {
  if (!code) {
    return '';
  }
  const parts: string[] = [];
  let index = 0;
  for (const cell of code.notebook?.cells ?? []) {
    if (cell.cell_type !== 'code') {
      continue;
    }
    index += 1;
    parts.push(`# In [${index}]\n${sourceOf(cell.source).replace(/\n$/, '')}`);
  }
  for (const path of Object.keys(code.files ?? {}).sort()) {
    parts.push(`# File: ${path}\n${code.files[path].replace(/\n$/, '')}`);
  }
  return parts.join('\n\n') + (parts.length ? '\n' : '');
}

export type DiffLineKind = 'added' | 'removed' | 'context';

export interface IDiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line numbers in the older and the newer text (null on the other side). */
  oldLine: number | null;
  newLine: number | null;
}

export interface IDiffHunk {
  header: string;
  lines: IDiffLine[];
}

export interface IAttemptDiff {
  hunks: IDiffHunk[];
  added: number;
  removed: number;
}

/** The hunks (3 lines of context) turning `older` into `newer`. */
export function diffTexts(older: string, newer: string): IAttemptDiff {
  const patch = structuredPatch('older', 'newer', older, newer, '', '', {
    context: 3
  });
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map(hunk => {
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    const lines: IDiffLine[] = [];
    for (const raw of hunk.lines) {
      const mark = raw[0];
      const text = raw.slice(1);
      if (mark === '\\') {
        continue; // "\ No newline at end of file"
      }
      if (mark === '+') {
        added += 1;
        lines.push({ kind: 'added', text, oldLine: null, newLine: newLine++ });
      } else if (mark === '-') {
        removed += 1;
        lines.push({
          kind: 'removed',
          text,
          oldLine: oldLine++,
          newLine: null
        });
      } else {
        lines.push({
          kind: 'context',
          text,
          oldLine: oldLine++,
          newLine: newLine++
        });
      }
    }
    return {
      header: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`,
      lines
    };
  });
  return { hunks, added, removed };
}

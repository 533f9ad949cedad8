/**
 * The class matrix as rows: one per learner, a cell per challenge, then
 * searched, filtered and sorted the way the dashboard's controls say.
 * Pure functions, so the unit tests check them without a DOM.
 */

import type { IClassCell, IClassMatrix } from './types';

export interface ILearnerRow {
  learner: string;
  cells: Record<string, IClassCell | undefined>;
  /** Sum of the best points over the challenges shown. */
  total: number;
  /** Newest submission time over the challenges shown (ISO), or ''. */
  lastActivity: string;
}

/** Which learners to show. */
export type RowFilter = 'all' | 'passed' | 'unpassed' | 'late' | 'missing';

/** `learner`, `total`, `last`, or a challenge id (its best points). */
export type SortKey = string;

export interface IMatrixView {
  search: string;
  filter: RowFilter;
  /** One challenge's column only, or '' for all. */
  challenge: string;
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_VIEW: IMatrixView = {
  search: '',
  filter: 'all',
  challenge: '',
  sort: 'learner',
  descending: false
};

/** The challenges the matrix shows as columns. */
export function columns(matrix: IClassMatrix, view: IMatrixView): string[] {
  return view.challenge
    ? matrix.challenges.filter(c => c === view.challenge)
    : matrix.challenges;
}

/** One row per learner, for the columns shown. */
export function buildRows(
  matrix: IClassMatrix,
  shown: string[]
): ILearnerRow[] {
  const byLearner = new Map<string, ILearnerRow>();
  for (const learner of matrix.learners) {
    byLearner.set(learner, { learner, cells: {}, total: 0, lastActivity: '' });
  }
  const wanted = new Set(shown);
  for (const cell of matrix.cells) {
    if (!wanted.has(cell.challenge)) {
      continue;
    }
    let row = byLearner.get(cell.learner);
    if (!row) {
      row = { learner: cell.learner, cells: {}, total: 0, lastActivity: '' };
      byLearner.set(cell.learner, row);
    }
    row.cells[cell.challenge] = cell;
    row.total += cell.best_points ?? 0;
    const last = cell.last_submitted_at ?? '';
    if (last > row.lastActivity) {
      row.lastActivity = last;
    }
  }
  return [...byLearner.values()];
}

function matches(
  row: ILearnerRow,
  shown: string[],
  filter: RowFilter
): boolean {
  const cells = shown.map(c => row.cells[c]);
  switch (filter) {
    case 'passed':
      return cells.some(c => c?.passed);
    case 'unpassed':
      return cells.some(c => c && !c.passed);
    case 'late':
      return cells.some(c => c?.late);
    case 'missing':
      return cells.some(c => !c);
    default:
      return true;
  }
}

function sortValue(row: ILearnerRow, key: SortKey): string | number {
  if (key === 'learner') {
    return row.learner.toLowerCase();
  }
  if (key === 'total') {
    return row.total;
  }
  if (key === 'last') {
    return row.lastActivity;
  }
  // A challenge's column: its best points; no submission sorts below zero.
  const cell = row.cells[key];
  return cell ? (cell.best_points ?? -0.5) : -1;
}

/** The rows the view shows, in its order (ties by learner name). */
export function visibleRows(
  matrix: IClassMatrix,
  view: IMatrixView
): ILearnerRow[] {
  const shown = columns(matrix, view);
  const needle = view.search.trim().toLowerCase();
  const rows = buildRows(matrix, shown).filter(
    row =>
      (!needle || row.learner.toLowerCase().includes(needle)) &&
      matches(row, shown, view.filter)
  );
  const sign = view.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const x = sortValue(a, view.sort);
    const y = sortValue(b, view.sort);
    if (x < y) {
      return -sign;
    }
    if (x > y) {
      return sign;
    }
    return a.learner.localeCompare(b.learner);
  });
}

/** The next view after activating a column header: toggles the direction. */
export function toggleSort(view: IMatrixView, key: SortKey): IMatrixView {
  if (view.sort === key) {
    return { ...view, descending: !view.descending };
  }
  // Names read A to Z first; figures and times biggest/newest first.
  return { ...view, sort: key, descending: key !== 'learner' };
}

/** "2 / 3" style points, or an em dash when none was graded. */
export function pointsText(cell: IClassCell | undefined): string {
  if (!cell) {
    return '';
  }
  const best = cell.best_points === null ? '–' : formatNumber(cell.best_points);
  return `${best} / ${formatNumber(cell.max_points)}`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value)
    ? String(value)
    : value.toFixed(2).replace(/0+$/, '');
}

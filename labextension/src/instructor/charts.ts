/**
 * Vega-Lite (v5) specifications of a challenge's statistics. JupyterLab's
 * own renderer for `application/vnd.vegalite.v5+json` draws them; the
 * dashboard also shows each chart's data as a table.
 */

import type { TranslationBundle } from '@jupyterlab/translation';
import type { IChallengeStats } from './types';
import { formatNumber } from './matrix';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

type Spec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function base(title: string, description: string): Spec {
  return {
    $schema: SCHEMA,
    title,
    description,
    width: 360,
    height: 180,
    background: null,
    config: { view: { stroke: null } }
  };
}

/** Learners by best points, in the server's equal bins. */
export function scoreSpec(
  stats: IChallengeStats,
  trans: TranslationBundle
): Spec {
  return {
    ...base(
      trans.__('Score distribution'),
      trans.__('Learners by their best points')
    ),
    data: {
      values: stats.score_distribution.map(b => ({
        range: `${formatNumber(b.from)}–${formatNumber(b.to)}`,
        from: b.from,
        learners: b.learners
      }))
    },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'range',
        type: 'ordinal',
        sort: { field: 'from' },
        title: trans.__('Best points')
      },
      y: {
        field: 'learners',
        type: 'quantitative',
        title: trans.__('Learners'),
        axis: { tickMinStep: 1, format: 'd' }
      }
    }
  };
}

/** Each test's failure rate, the worst first. */
export function failureSpec(
  stats: IChallengeStats,
  trans: TranslationBundle
): Spec {
  return {
    ...base(
      trans.__('Failure rate per test'),
      trans.__('Share of submissions where each test failed')
    ),
    data: {
      values: stats.tests.map(t => ({
        test: t.hidden ? `${t.name} (hidden)` : t.name,
        rate: t.failure_rate,
        failures: t.failures,
        runs: t.runs
      }))
    },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'test', type: 'nominal', sort: '-x', title: null },
      x: {
        field: 'rate',
        type: 'quantitative',
        title: trans.__('Failure rate'),
        axis: { format: '%' },
        scale: { domain: [0, 1] }
      }
    }
  };
}

/** Submissions per day. */
export function perDaySpec(
  stats: IChallengeStats,
  trans: TranslationBundle
): Spec {
  return {
    ...base(trans.__('Submissions over time'), trans.__('Submissions per day')),
    data: { values: stats.submissions_per_day },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'day',
        type: 'temporal',
        timeUnit: 'yearmonthdate',
        title: trans.__('Day')
      },
      y: {
        field: 'count',
        type: 'quantitative',
        title: trans.__('Submissions'),
        axis: { tickMinStep: 1, format: 'd' }
      }
    }
  };
}

/**
 * Charts of aggregations (Observable Plot, rendered as SVG): bars per time bucket, stacked by the
 * other group key (event type, stream, …); bars per group without a time bucket; a number for an
 * ungrouped aggregation.
 */

import * as Plot from '@observablehq/plot';
import { useEffect, useRef } from 'preact/hooks';
import type { Group } from './api.js';

/** One bar: its x (a bucket or a group), its series, its value. */
export interface Bar {
  x: string;
  series: string;
  value: number;
}

function label(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The bars of an aggregation's groups: the timestamp key (a time bucket) on x when there is one,
 * the other keys joined as the series. Groups whose value is not a number are left out.
 */
export function barsOf(groups: readonly Group[]): { bars: Bar[]; timeKey: boolean } {
  const keys = Object.keys(groups[0]?.key ?? {});
  const timeKey = keys.includes('timestamp');
  const xKey = timeKey ? 'timestamp' : keys[0];
  const seriesKeys = keys.filter((k) => k !== xKey);
  const bars: Bar[] = [];
  for (const group of groups) {
    if (typeof group.value !== 'number') continue;
    bars.push({
      x: label(xKey === undefined ? 'all' : group.key[xKey]),
      series: seriesKeys.length === 0 ? 'value' : seriesKeys.map((k) => label(group.key[k])).join(' · '),
      value: group.value,
    });
  }
  return { bars, timeKey };
}

/** A bucket's start as a short label: no seconds, no midnight, no year when all share one. */
const shortTime = (iso: string, sameYear: boolean) =>
  iso
    .slice(sameYear ? 5 : 0)
    .replace('T', ' ')
    .replace(/:00\.000Z$|\.000Z$/, '')
    .replace(/ 00:00$/, '');

/** A bar chart of `bars`; `title` names the measure on the y axis. */
export function BarChart({ bars, timeKey, title }: { bars: Bar[]; timeKey: boolean; title: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const xs = [...new Set(bars.map((b) => b.x))];
    if (timeKey) xs.sort();
    const step = Math.max(1, Math.ceil(xs.length / 16));
    const sameYear = xs.every((x) => x.slice(0, 4) === xs[0]?.slice(0, 4));
    const series = new Set(bars.map((b) => b.series));
    const chart = Plot.plot({
      width: Math.max(480, element.clientWidth || 800),
      height: 320,
      marginBottom: timeKey ? 95 : 70,
      marginLeft: timeKey ? 110 : 70,
      style: { background: 'transparent', fontSize: '12px' },
      x: {
        type: 'band',
        domain: xs,
        label: null,
        tickRotate: -35,
        tickFormat: (d: string, i: number) => (i % step === 0 ? (timeKey ? shortTime(d, sameYear) : d) : ''),
      },
      y: { grid: true, label: title },
      color: series.size > 1 ? { legend: true, type: 'categorical' } : { range: ['#10b981'] },
      marks: [
        Plot.barY(bars, Plot.stackY({ x: 'x', y: 'value', fill: 'series', tip: true })),
        Plot.ruleY([0]),
      ],
    });
    element.replaceChildren(chart);
    return () => chart.remove();
  }, [bars, timeKey, title]);
  return <div class="chart" data-testid="chart" data-bars={bars.length} ref={holder} />;
}

/** The chart of any aggregation result: bars for groups, a number otherwise. */
export function AggregationChart({
  aggregation,
}: {
  aggregation: { type: string; field?: string; value?: unknown; groups?: Group[] };
}) {
  const title = `${aggregation.type}${aggregation.field ? ` of ${aggregation.field}` : ''}`;
  if (aggregation.groups === undefined) {
    return (
      <div class="big-number" data-testid="aggregate-value">
        <span class="muted">{title}</span>
        <strong>
          {typeof aggregation.value === 'number'
            ? aggregation.value.toLocaleString()
            : label(aggregation.value)}
        </strong>
      </div>
    );
  }
  const { bars, timeKey } = barsOf(aggregation.groups);
  if (bars.length === 0) return <p class="muted">No numeric groups to chart.</p>;
  return <BarChart bars={bars} timeKey={timeKey} title={title} />;
}

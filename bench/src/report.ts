/**
 * Result tables: throughput (ours / raw driver / Emmett, with ratios and targets) and latency, as
 * aligned text for the console and as markdown for `bench/results/latest.md`.
 */

/** A table ready to print. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** Lines printed under the table (what each side ran with, caveats). */
  notes: string[];
}

/** Minimum throughput ratios a case aims at (from the issues). */
export interface Target {
  /** ours / raw at least this. */
  vsRaw?: number;
  /** ours / Emmett at least this. */
  vsEmmett?: number;
}

/** A measured value, or why there is none. */
export type Measured = number | { missing: string };

/** One throughput case of a section. */
export interface ThroughputRow {
  label: string;
  unit: 'events/s' | 'queries/s';
  ours: Measured;
  raw: Measured;
  emmett: Measured;
  target?: Target;
}

/** A target and whether it was met, for the summary. */
export interface TargetCheck {
  section: string;
  label: string;
  target: string;
  measured: string;
  met: boolean;
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function value(m: Measured): number | undefined {
  return typeof m === 'number' && Number.isFinite(m) ? m : undefined;
}

/** A throughput with a readable precision: 91,234 · 812 · 3.42. */
export function formatRate(m: Measured): string {
  const v = value(m);
  if (v === undefined) return typeof m === 'object' ? `— (${m.missing})` : '—';
  if (v >= 100) return nf.format(v);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function formatRatio(r: number | undefined): string {
  return r === undefined ? '—' : `${r.toFixed(2)}×`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function ratio(a: Measured, b: Measured): number | undefined {
  const x = value(a);
  const y = value(b);
  return x === undefined || y === undefined || y === 0 ? undefined : x / y;
}

/**
 * Builds a throughput table and records its targets in `checks`.
 * Ratios are throughput ratios: above 1 means ours is faster.
 */
export function throughputTable(
  section: string,
  title: string,
  rows: ThroughputRow[],
  notes: string[],
  checks: TargetCheck[],
): Table {
  const out: string[][] = [];
  for (const row of rows) {
    const vsRaw = ratio(row.ours, row.raw);
    const vsEmmett = ratio(row.ours, row.emmett);
    const targets: string[] = [];
    if (row.target?.vsRaw !== undefined) {
      const met = vsRaw !== undefined && vsRaw >= row.target.vsRaw;
      targets.push(`≥ ${row.target.vsRaw}× raw ${vsRaw === undefined ? '?' : met ? '✓' : '✗'}`);
      if (vsRaw !== undefined) {
        checks.push({
          section,
          label: row.label,
          target: `≥ ${row.target.vsRaw}× raw`,
          measured: formatRatio(vsRaw),
          met,
        });
      }
    }
    if (row.target?.vsEmmett !== undefined) {
      const met = vsEmmett !== undefined && vsEmmett >= row.target.vsEmmett;
      targets.push(`≥ ${row.target.vsEmmett}× Emmett ${vsEmmett === undefined ? '?' : met ? '✓' : '✗'}`);
      if (vsEmmett !== undefined) {
        checks.push({
          section,
          label: row.label,
          target: `≥ ${row.target.vsEmmett}× Emmett`,
          measured: formatRatio(vsEmmett),
          met,
        });
      }
    }
    out.push([
      row.label,
      row.unit,
      formatRate(row.ours),
      formatRate(row.raw),
      formatRate(row.emmett),
      formatRatio(vsRaw),
      formatRatio(vsEmmett),
      targets.join(', ') || '—',
    ]);
  }
  return {
    title,
    header: ['case', 'unit', 'ours', 'raw driver', 'Emmett', 'ours/raw', 'ours/Emmett', 'target'],
    rows: out,
    notes,
  };
}

/** Aligned plain text. */
export function renderText(table: Table): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    `\n${table.title}`,
    line(table.header),
    rule,
    ...table.rows.map(line),
    ...table.notes.map((n) => `  · ${n}`),
  ].join('\n');
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** A markdown section: heading, table, notes. */
export function renderMarkdown(table: Table): string {
  const align = table.header.map((_, c) => (c === 0 ? ':---' : '---:'));
  return [
    `### ${table.title}`,
    '',
    `| ${table.header.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    ...table.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/** One latency configuration: samples in milliseconds, or why it did not run. */
export interface LatencyRow {
  label: string;
  /**
   * Per probe: subscriber latency from the append call and from the commit acknowledgement, and how
   * long each `appendEvent` call took.
   */
  samples: { fromAppend: number[]; fromCommit: number[]; append: number[] } | { missing: string };
  /** p99 at most this many milliseconds (checked on both latencies, reported separately). */
  targetP99Ms: number;
}

/**
 * Builds the latency table — p50, p99 and max from the append call and from the commit — and
 * records its targets in `checks`, one per latency.
 */
export function latencyTable(
  section: string,
  title: string,
  rows: LatencyRow[],
  notes: string[],
  checks: TargetCheck[],
  percentileOf: (values: readonly number[], p: number) => number,
): Table {
  const out: string[][] = [];
  const summary = (values: number[]) => [
    formatMs(percentileOf(values, 50)),
    formatMs(percentileOf(values, 99)),
    formatMs(Math.max(...values)),
  ];
  for (const row of rows) {
    if ('missing' in row.samples) {
      out.push([
        row.label,
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '0',
        '—',
        `p99 ≤ ${row.targetP99Ms} ms ? (${row.samples.missing})`,
      ]);
      continue;
    }
    const { fromAppend, fromCommit, append } = row.samples;
    const verdicts: string[] = [];
    for (const [what, values] of [
      ['from the append', fromAppend],
      ['from the commit', fromCommit],
    ] as const) {
      const p99 = percentileOf(values, 99);
      const met = p99 <= row.targetP99Ms;
      checks.push({
        section,
        label: `${row.label}, ${what}`,
        target: `p99 ≤ ${row.targetP99Ms} ms`,
        measured: formatMs(p99),
        met,
      });
      verdicts.push(`${what} ${met ? '✓' : '✗'}`);
    }
    out.push([
      row.label,
      ...summary(fromAppend),
      ...summary(fromCommit),
      String(fromAppend.length),
      `${formatMs(percentileOf(append, 50))} / ${formatMs(percentileOf(append, 99))}`,
      `p99 ≤ ${row.targetP99Ms} ms: ${verdicts.join(', ')}`,
    ]);
  }
  return {
    title,
    header: [
      'case',
      'append → subscriber p50',
      'p99',
      'max',
      'commit → subscriber p50',
      'p99',
      'max',
      'samples',
      'appendEvent call p50 / p99',
      'target',
    ],
    rows: out,
    notes,
  };
}

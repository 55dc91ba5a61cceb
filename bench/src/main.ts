/**
 * `pnpm bench`: ours vs the raw drivers vs Emmett, side by side in one process and one run.
 * Prints a table per section and writes them as markdown to bench/results/latest.md.
 * Knobs: see config.ts (BENCH_EVENTS, BENCH_ONLY=sqlite|postgres|latency, …).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig } from './config.js';
import { loadEmmettPostgres, loadEmmettSqlite } from './emmett.js';
import { renderMarkdown, renderText, type Table, type TargetCheck } from './report.js';
import { runSqliteSection } from './sqlite/section.js';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const log = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

const config = readConfig();
const tables: Table[] = [];
const checks: TargetCheck[] = [];
const skipped: string[] = [];

function environment(): string[] {
  const cpu = cpus();
  const knobs = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${v}`);
  return [
    `date: ${new Date().toISOString()}`,
    `command: pnpm bench${knobs.length > 0 ? ` (with ${knobs.join(' ')})` : ''}`,
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; Node ${process.version}`,
    `events: ${config.events.toLocaleString('en-US')} (batches of ${config.batchSize}); single appends: ${config.singleAppends}; reps: ${config.reps}`,
  ];
}

async function main(): Promise<void> {
  log(`sections: ${[...config.sections].join(', ')}`);
  if (config.sections.has('sqlite')) {
    const emmett = config.emmett ? await loadEmmettSqlite() : undefined;
    if (emmett !== undefined && !emmett.ok) log(`Emmett unavailable: ${emmett.reason}`);
    tables.push(...(await runSqliteSection(config, emmett, checks, log)));
  }
  if (config.sections.has('postgres')) {
    const { runPostgresSection } = await import('./postgres/section.js');
    const emmett = config.emmett ? await loadEmmettPostgres() : undefined;
    if (emmett !== undefined && !emmett.ok) log(`Emmett unavailable: ${emmett.reason}`);
    const result = await runPostgresSection(config, emmett, checks, log);
    if (result.skipped !== undefined) skipped.push(`PostgreSQL section skipped: ${result.skipped}`);
    tables.push(...result.tables);
  }
  if (config.sections.has('bulk')) {
    const { runBulkSection } = await import('./postgres/bulk.js');
    const result = await runBulkSection(config, checks, log);
    if (result.skipped !== undefined) skipped.push(`PostgreSQL bulk section skipped: ${result.skipped}`);
    tables.push(...result.tables);
  }
  if (config.sections.has('decisions')) {
    const { runDecisionsSection } = await import('./decisions/section.js');
    const result = await runDecisionsSection(config, checks, log);
    skipped.push(...result.skipped);
    tables.push(...result.tables);
  }
  if (config.sections.has('partitions')) {
    const { runPartitionsSection } = await import('./partitions/section.js');
    const result = await runPartitionsSection(config, log);
    skipped.push(...result.skipped);
    tables.push(...result.tables);
  }
  if (config.sections.has('server')) {
    const { runServerSection } = await import('./server/section.js');
    tables.push(...(await runServerSection(config, checks, log)));
  }
  if (config.sections.has('latency')) {
    const { runLatencySection } = await import('./latency/section.js');
    const result = await runLatencySection(config, checks, log);
    skipped.push(...result.skipped);
    tables.push(...result.tables);
  }

  const env = environment();
  const summary = checks.map(
    (c) => `${c.met ? '✓' : '✗'} ${c.section} · ${c.label}: ${c.target}, measured ${c.measured}`,
  );
  const text = [
    ...tables.map(renderText),
    ...skipped.map((s) => `\n${s}`),
    '\nTargets',
    ...summary.map((s) => `  ${s}`),
    '',
    ...env.map((e) => `  ${e}`),
  ].join('\n');
  process.stdout.write(`${text}\n`);

  const out = config.out ?? join(here, '..', 'results', 'latest.md');
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const markdown = [
    '## Benchmark results',
    '',
    ...env.map((e) => `- ${e}`),
    '',
    ...tables.map(renderMarkdown),
    ...skipped.map((s) => `${s}\n`),
    '### Targets',
    '',
    ...summary.map((s) => `- ${s}`),
    '',
  ].join('\n');
  writeFileSync(out, markdown);
  log(`wrote ${resolve(out)} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

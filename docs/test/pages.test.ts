/**
 * Checks that keep the site and the READMEs from drifting from the code:
 *
 * - every `<<< @/samples/…#region` include names a sample file and a region that exist;
 * - pages hold no TypeScript/JavaScript code that does not run: code comes from samples
 *   (type shapes are allowed after a `<!-- shape -->` marker);
 * - every `eventlog …` command line in a page or README names real commands and options of the
 *   program the `eventlog` bin runs;
 * - every TypeScript block of the root README and of the marked package-README blocks equals a
 *   region of a sample (`<!-- sample: docs/samples/x.ts#region -->` before the block), so README
 *   snippets run with the samples;
 * - no Markdown file of the repository links to a file outside it.
 *
 * `UPDATE_SAMPLES=1` rewrites the marked README blocks from their regions.
 */

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../packages/eventlog/src/cli/program.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(docs, '..');

/** Markdown files under `dir`, skipping generated and installed ones. */
function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', '.turbo', 'cache', 'api'].includes(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The text of `region` in a sample file (`#region name` … `#endregion name`), dedented. */
export function regionOf(file: string, region: string | undefined): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  let body = lines;
  if (region !== undefined) {
    const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
    const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${region}`);
    if (start === -1 || end === -1) throw new Error(`${relative(root, file)} has no region "${region}"`);
    body = lines.slice(start + 1, end);
  }
  body = body.filter((l) => !/^\s*\/\/ #(end)?region\b/.test(l));
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)?.[0].length ?? 0));
  return body
    .map((l) => l.slice(indent))
    .join('\n')
    .trim();
}

const pages = markdownFiles(docs).filter((f) => !f.includes('/reference/') && !f.includes('/samples/'));

describe('the site pages', () => {
  it('include only samples and regions that exist', () => {
    const missing: string[] = [];
    for (const page of pages) {
      for (const m of readFileSync(page, 'utf8').matchAll(/^<<< @\/(\S+?)(?:#([\w-]+))?(?:\{[^}]*\})?$/gm)) {
        const file = join(docs, m[1] as string);
        if (!existsSync(file)) missing.push(`${relative(docs, page)}: ${m[1]} does not exist`);
        else if (m[2] !== undefined) {
          try {
            regionOf(file, m[2]);
          } catch (error) {
            missing.push(`${relative(docs, page)}: ${(error as Error).message}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('hold no code that does not run: TypeScript comes from samples', () => {
    const inline: string[] = [];
    for (const page of pages) {
      const lines = readFileSync(page, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^```(ts|js|typescript|javascript)\b/.test(line) && lines[i - 1]?.trim() !== '<!-- shape -->') {
          inline.push(`${relative(docs, page)}:${i + 1}`);
        }
      });
    }
    expect(inline, 'put the code in docs/samples and include it with <<<').toEqual([]);
  });
});

/** The command a CLI line names, and the options it uses that the command does not have. */
function checkCliLine(program: Command, line: string): string | undefined {
  const words = line.trim().split(/\s+/);
  let command = program;
  let i = 1;
  while (i < words.length) {
    const sub = command.commands.find(
      (c) => c.name() === words[i] || c.aliases().includes(words[i] as string),
    );
    if (sub === undefined) break;
    command = sub;
    i++;
  }
  if (command === program && words.length > 1 && !/^-/.test(words[1] as string)) {
    return `"${words[1]}" is not a command`;
  }
  const known = (flag: string) =>
    ['-h', '--help'].includes(flag) ||
    (command === program && ['-V', '--version'].includes(flag)) ||
    command.options.some((o) => o.long === flag || o.short === flag);
  for (const word of words.slice(i)) {
    if (/^[|&;>]/.test(word)) break; // the next command of a pipeline
    const flag = word.match(/^(--?[A-Za-z][\w-]*)/)?.[1];
    if (flag !== undefined && !known(flag)) return `"${flag}" is not an option of "${command.name()}"`;
  }
  return undefined;
}

describe('CLI lines in pages and READMEs', () => {
  it('name real commands and options', () => {
    const program = buildProgram();
    const files = [...pages, join(root, 'README.md'), ...markdownFiles(join(root, 'packages'))];
    const wrong: string[] = [];
    for (const file of files) {
      let inShell = false;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (/^```(sh|bash|shell)\b/.test(line)) inShell = true;
        else if (line.startsWith('```')) inShell = false;
        else if (inShell && /^\s*(npx (-y )?)?eventlog\s/.test(line)) {
          const problem = checkCliLine(program, line.replace(/^\s*npx (-y )?/, ''));
          if (problem !== undefined) wrong.push(`${relative(root, file)}: ${line.trim()} — ${problem}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** TypeScript blocks of a README with the sample marker before each, if any. */
function readmeBlocks(file: string): Array<{ line: number; code: string; sample: string | undefined }> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: Array<{ line: number; code: string; sample: string | undefined }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\b/.test(lines[i] as string)) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const marker = lines
      .slice(Math.max(0, i - 2), i)
      .map((l) => l.match(/^<!-- sample: (\S+) -->$/)?.[1])
      .find((m) => m !== undefined);
    blocks.push({
      line: i + 1,
      code: lines
        .slice(i + 1, end)
        .join('\n')
        .trim(),
      sample: marker,
    });
    i = end;
  }
  return blocks;
}

/** Rewrites each marked block of a README with its sample region (`UPDATE_SAMPLES=1`). */
function syncBlocks(file: string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = lines[i]?.match(/^<!-- sample: (\S+) -->$/)?.[1];
    out.push(lines[i] as string);
    if (marker === undefined || !/^```ts\b/.test(lines[i + 1] ?? '')) continue;
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    const [path, region] = marker.split('#');
    out.push(lines[i + 1] as string, regionOf(join(root, path as string), region), '```');
    i = end;
  }
  writeFileSync(file, out.join('\n'));
}

describe('README snippets', () => {
  const readmes = [join(root, 'README.md'), ...markdownFiles(join(root, 'packages'))];

  it('every TypeScript block of the root README is a region of a sample that runs', () => {
    const unmarked = readmeBlocks(join(root, 'README.md')).filter((b) => b.sample === undefined);
    expect(
      unmarked.map((b) => `README.md:${b.line}`),
      'mark each block with <!-- sample: docs/samples/x.ts#region -->',
    ).toEqual([]);
  });

  it.each(readmes.map((f) => relative(root, f)))('%s: marked blocks equal their sample region', (file) => {
    if (process.env.UPDATE_SAMPLES === '1') syncBlocks(join(root, file));
    for (const block of readmeBlocks(join(root, file))) {
      if (block.sample === undefined) continue;
      const [path, region] = block.sample.split('#');
      expect(block.code, `${file}:${block.line} differs from ${block.sample}`).toBe(
        regionOf(join(root, path as string), region),
      );
    }
  });
});

describe('links', () => {
  it('no Markdown file of the repository points at a file outside it', () => {
    const outside: string[] = [];
    const files = markdownFiles(root).filter((f) => !f.includes('/.changeset/'));
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] as string).split('#')[0] as string;
        if (target === '' || /^[a-z]+:/i.test(target) || target.startsWith('/')) continue;
        const resolved = resolve(dirname(file), target);
        if (!resolved.startsWith(`${root}/`) && resolved !== root)
          outside.push(`${relative(root, file)} → ${m[1]}`);
      }
      if (/shared\/SPEC\.md|seed\/event-log-api/.test(text))
        outside.push(`${relative(root, file)} names a file outside the repository`);
    }
    expect(outside).toEqual([]);
  });
});

describe('the CLI line check itself', () => {
  const program = buildProgram();
  it.each([
    ['eventlog serve --url sqlite:./e.db --port 4000', undefined],
    ['eventlog instances create audit-log -d "x"', undefined],
    ['eventlog tail audit-log -f | jq .', undefined],
    ['eventlog nope --url memory:', '"nope" is not a command'],
    ['eventlog tail audit-log --bogus', '"--bogus" is not an option of "tail"'],
  ])('%s → %s', (line, problem) => {
    expect(checkCliLine(program, line)).toBe(problem);
  });
});

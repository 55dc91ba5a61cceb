import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The API reference's sidebar, written by TypeDoc (`pnpm run generate`). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(docs, 'reference/api/typedoc-sidebar.json');
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Start',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Why Event Log', link: '/guide/why' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'Instances, streams, events', link: '/concepts/' },
      { text: 'Positions and guarantees', link: '/concepts/guarantees' },
      { text: 'Envelopes, errors and limits', link: '/concepts/errors-and-limits' },
    ],
  },
  {
    text: 'Query DSL',
    items: [
      { text: 'Overview', link: '/query/' },
      { text: 'Filters and type rules', link: '/query/filters' },
      { text: 'Select, order, page', link: '/query/ordering-and-paging' },
      { text: 'Aggregations', link: '/query/aggregations' },
      { text: 'Rollups', link: '/query/rollups' },
    ],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Reading and writing streams', link: '/guides/reading-streams' },
      { text: 'Event-sourced aggregates', link: '/guides/aggregates' },
      { text: 'Decisions across streams', link: '/guides/decisions' },
      { text: 'Snapshots and upcasting', link: '/guides/snapshots-and-upcasting' },
      { text: 'Testing with @eventlog/testing', link: '/guides/testing' },
      { text: 'Live subscriptions', link: '/guides/live-subscriptions' },
      { text: 'Projections in production', link: '/guides/projections' },
      { text: 'Deleting, retention, archiving, erasure', link: '/guides/lifecycle' },
      { text: 'Choosing and swapping adapters', link: '/guides/adapters' },
      { text: 'Running on several machines', link: '/guides/scaling' },
      { text: 'Running the server', link: '/guides/server' },
      { text: 'AI agents (MCP)', link: '/guides/mcp' },
      { text: 'Migrating between stores', link: '/guides/migrating' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: 'CLI', link: '/reference/cli' },
      { text: 'API (TypeDoc)', link: '/reference/api/' },
    ],
  },
  {
    text: 'Packages',
    collapsed: true,
    items: [
      { text: '@eventlog/core', link: '/packages/core' },
      { text: '@eventlog/memory', link: '/packages/memory' },
      { text: '@eventlog/sqlite', link: '/packages/sqlite' },
      { text: '@eventlog/postgres', link: '/packages/postgres' },
      { text: '@eventlog/sql', link: '/packages/sql' },
      { text: '@eventlog/rx', link: '/packages/rx' },
      { text: '@eventlog/testing', link: '/packages/testing' },
      { text: '@eventlog/client', link: '/packages/client' },
      { text: 'eventlog', link: '/packages/eventlog' },
      { text: '@eventlog/conformance', link: '/packages/conformance' },
    ],
  },
  {
    text: 'Contributing',
    collapsed: true,
    items: [
      { text: 'Architecture and decisions', link: '/architecture' },
      { text: 'How these docs are tested', link: '/contributing/docs' },
    ],
  },
];

export default defineConfig({
  title: 'Event Log',
  description:
    'A TypeScript event-sourcing framework: an append-only, queryable log on memory, SQLite or PostgreSQL.',
  cleanUrls: true,
  lastUpdated: false,
  // The generated API pages link to each other by relative .md paths; everything else is checked.
  ignoreDeadLinks: [/^\.\/.*\.md$/],
  srcExclude: ['samples/**', 'scripts/**', 'api-entries/**', 'test/**', 'README.md'],
  markdown: { lineNumbers: false },
  vite: { build: { chunkSizeWarningLimit: 4000 } }, // the API reference pages are large
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Query DSL', link: '/query/' },
      { text: 'CLI', link: '/reference/cli' },
      { text: 'API', link: '/reference/api/' },
    ],
    sidebar: {
      '/reference/api/': [{ text: 'Back to the guide', link: '/guide/getting-started' }, ...apiSidebar()],
      '/': guide,
    },
    search: { provider: 'local' },
    outline: [2, 3],
  },
});

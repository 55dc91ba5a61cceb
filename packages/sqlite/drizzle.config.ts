import { defineConfig } from 'drizzle-kit';

/** drizzle-kit: generates the SQLite migrations under ./drizzle from src/schema.ts (`pnpm db:generate`). */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/schema.ts',
  out: './drizzle',
});

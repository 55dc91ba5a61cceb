import { defineConfig } from 'drizzle-kit';

// Generates the committed migrations in ./drizzle from the unqualified tables of src/schema.ts.
// The migrator applies them inside the schema chosen at run time. Run: npx drizzle-kit generate
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
});

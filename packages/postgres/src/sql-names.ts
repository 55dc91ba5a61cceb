/** Quotes a PostgreSQL identifier: `my"name` → `"my""name"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

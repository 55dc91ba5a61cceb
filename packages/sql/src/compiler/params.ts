/**
 * Parameter collection. Hooks and the compiler may build SQL text in any order; they put markers
 * where values go, and {@link ParamCollector.render} numbers the placeholders in text order, so
 * positional `?` (SQLite) and numbered `$n` (PostgreSQL) both come out right.
 */

import type { Bind } from './sql-dialect.js';

/** A statement ready for a driver. */
export interface CompiledStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /**
   * The statement's best plan does not depend on its values (a seek into one stream by its key):
   * a generic plan of it is as good as a custom one, so a driver that forces custom plans for
   * value-dependent statements (PostgreSQL's read runner) need not for it.
   */
  readonly planStable?: true;
}

// U+0001 never appears in generated SQL: identifiers and literals are fixed or validated.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control character is the point: it cannot clash with SQL text
const MARKER = /\u0001(\d+)\u0001/g;

/** Collects bound values while SQL text is built. */
export class ParamCollector {
  private readonly values: unknown[] = [];

  /** Registers a value and returns its marker. */
  readonly bind: Bind = (value) => {
    this.values.push(value);
    return `\u0001${this.values.length - 1}\u0001`;
  };

  /**
   * Replaces the markers of `sql` by placeholders, in text order; a marker used twice becomes two
   * parameters. `placeholder` gets the parameter's number (from 1) and its value.
   */
  render(sql: string, placeholder: (index: number, value: unknown) => string): CompiledStatement {
    const params: unknown[] = [];
    const text = sql.replace(MARKER, (_, index: string) => {
      const value = this.values[Number(index)];
      params.push(value);
      return placeholder(params.length, value);
    });
    return { sql: text, params };
  }
}

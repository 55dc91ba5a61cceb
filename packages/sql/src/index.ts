/**
 * @eventlog/sql — the shared SQL query compiler of the SQLite and PostgreSQL adapters: the query
 * AST → `{ sql, params }`, with per-dialect hooks, and rows → `QueryResult`.
 *
 * @example
 * import { createQueryCompiler, sqliteDialect } from '@eventlog/sql';
 * const compiler = createQueryCompiler(sqliteDialect());
 * const compiled = compiler.compileQuery(instanceId, ast, limits);
 * const result = compiled.executeSync((s) => db.prepare(s.sql).all(...s.params));
 */

export * from './condition-compiler.js';
export * from './field-ref.js';
export * from './params.js';
export * from './postgres-dialect.js';
export * from './query-compiler.js';
export * from './query-program.js';
export * from './row-decoder.js';
export * from './sql-dialect.js';
export * from './sqlite-dialect.js';
export * from './table-layout.js';

/**
 * @eventlog/sql — what the SQLite and PostgreSQL adapters share:
 *
 * - `compiler/`: the query AST → `{ sql, params }` (one walk, dialect hooks) and rows → results;
 * - `dialects/`: the SQLite and PostgreSQL hooks of the compiler;
 * - `store/`: the event store on any SQL database ({@link SqlStore}) over a {@link SqlDriver}
 *   that each adapter implements for its database: the instance catalog, queries, statistics,
 *   live reads and the key-value store as statement programs; the decisions of an append
 *   transaction and group commit; migrations from drizzle-kit's files; driver error wrapping.
 *
 * @example
 * import { createQueryCompiler, sqliteDialect } from '@eventlog/sql';
 * const compiler = createQueryCompiler(sqliteDialect());
 * const compiled = compiler.compileQuery(instanceId, ast, limits);
 * const result = compiled.executeSync((s) => db.prepare(s.sql).all(...s.params));
 */

export * from './compiler/condition-compiler.js';
export * from './compiler/field-ref.js';
export * from './compiler/params.js';
export * from './compiler/query-compiler.js';
export * from './compiler/query-program.js';
export * from './compiler/row-decoder.js';
export * from './compiler/sql-dialect.js';
export * from './compiler/table-layout.js';
export * from './dialects/postgres-dialect.js';
export * from './dialects/sqlite-dialect.js';
export * from './store/append-coalescer.js';
export * from './store/append-condition.js';
export * from './store/append-decisions.js';
export * from './store/driver-errors.js';
export * from './store/instance-programs.js';
export * from './store/kv-store.js';
export * from './store/lifecycle-programs.js';
export * from './store/migrations.js';
export * from './store/rollup-rows.js';
export * from './store/sql-driver.js';
export * from './store/sql-store.js';
export * from './store/store-statements.js';

/**
 * @module @eventlog/sqlite
 */
export * from '@eventlog/sqlite';

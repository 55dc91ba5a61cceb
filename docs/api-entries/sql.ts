/**
 * @module @eventlog/sql
 */
export * from '@eventlog/sql';

/**
 * @module @eventlog/postgres
 */
export * from '@eventlog/postgres';

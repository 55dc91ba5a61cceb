/**
 * @module @eventlog/rx
 */
export * from '@eventlog/rx';

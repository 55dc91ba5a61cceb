/**
 * @module @eventlog/memory
 */
export * from '@eventlog/memory';

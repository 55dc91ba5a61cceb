/**
 * @module @eventlog/client
 */
export * from '@eventlog/client';

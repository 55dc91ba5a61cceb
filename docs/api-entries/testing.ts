/**
 * @module @eventlog/testing
 */
export * from '@eventlog/testing';

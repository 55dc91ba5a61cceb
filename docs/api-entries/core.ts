/**
 * @module @eventlog/core
 */
export * from '@eventlog/core';

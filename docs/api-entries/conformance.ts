/**
 * @module @eventlog/conformance
 */
export * from '@eventlog/conformance';

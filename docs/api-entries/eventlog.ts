/**
 * @module eventlog
 */
export * from 'eventlog';

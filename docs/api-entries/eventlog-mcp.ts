/**
 * @module eventlog/mcp
 */
export * from 'eventlog/mcp';

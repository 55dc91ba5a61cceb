/**
 * `@eventlog/memory`: the in-memory storage adapter of Event Log.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { memoryAdapter } from '@eventlog/memory';
 *
 * const log = createEventLog({ adapter: memoryAdapter() });
 */
export { type MemoryAdapterOptions, memoryAdapter } from './memory-adapter.js';

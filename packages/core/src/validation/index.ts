/**
 * Input validation: zod schemas and validators for every method's params. Validators return
 * normalized data or throw one {@link EventLogError} (`VALIDATION_ERROR` or `LIMIT_EXCEEDED`)
 * whose message says where, what was wrong and what is allowed.
 */

export * from './append.js';
export * from './boundaries.js';
export * from './instance.js';
export * from './issues.js';
export * from './json-schema.js';
export * from './lifecycle.js';
export * from './names.js';
export * from './read-after.js';
export * from './schema.js';

export * from './adapter.js';
export * from './append-plan.js';
export * from './dsl/ast.js';
export * from './dsl/values.js';
export * from './errors.js';
export * from './event-log.js';
export * from './limits.js';
export * from './model.js';

export * from './open-event-log.js';

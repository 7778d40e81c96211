export * from './kv.js';
export * from './memory-store.js';
export * from './config.js';
export * from './decision.js';
export * from './metrics.js';
export { HaTracker, type HaTrackerOptions, type HaTrackerStatusRow, type ElectionChange } from './tracker.js';

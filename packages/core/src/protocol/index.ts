export * from './schemas.js';
export * from './codec.js';
export * from './event-data.js';
export * from './log-data.js';
export * from './status.js';

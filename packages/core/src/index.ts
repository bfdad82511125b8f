/** @wuwatch/core: the Windows Update domain, pure (no I/O of its own). */
export * from './errors/errors.js';
export * from './hresult/normalize.js';
export * from './wulog/index.js';
export * from './catalogue/index.js';
export * from './policy/index.js';
export * from './events/index.js';
export * from './protocol/index.js';
export * from './backoff/index.js';
export * from './fleet/index.js';
export * from './time/index.js';

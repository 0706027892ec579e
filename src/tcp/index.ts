/** `src/tcp/`: one TCP connection, sans-IO. */
export * from './config.js';
export * from './state.js';
export * from './events.js';
export * from './errors.js';
export * from './counters.js';
export * from './outgoing-segment.js';
export * from './time-wait.js';
export * from './acceptability.js';
export * from './negotiation.js';
export * from './receive-window.js';
export * from './timers.js';
export * from './connection.js';
export * from './icmp-report.js';

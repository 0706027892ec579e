/**
 * Timing of one connection, sans-IO: the RTO estimator (RFC 6298 as Linux computes it) and
 * Linux's retransmission schedules as pure functions, and the receiver's own RTT estimate behind
 * receive-buffer auto-tuning. All times are milliseconds.
 */

export * from './constants.js';
export * from './rcv-space.js';
export * from './retransmit-schedule.js';
export * from './rtt-estimator.js';
export * from './windowed-min.js';

/** The data structures of one connection: send buffer, receive buffer with reassembly, SACK scoreboard. */
export { MAX_BUFFER_CAPACITY, SendBuffer } from './send-buffer.js';
export { ReceiveBuffer, type InsertResult, type ReceiveBufferOptions } from './receive-buffer.js';
export { DEFAULT_DUP_THRESH, SackScoreboard, type SackScoreboardOptions, type SackUpdate } from './sack-scoreboard.js';

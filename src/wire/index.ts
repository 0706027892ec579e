/**
 * `src/wire/`: bytes ⇄ headers. Pure functions and views over packet bytes, no state, no imports
 * from other layers. Parsers never throw: they return a record with `ok: true` or a
 * {@link WireError} whose `reason` is one of {@link PARSE_FAILURES}.
 */

export * from './parse-failure.js';
export * from './checksum.js';
export * from './seq.js';
export * from './address.js';
export * from './ip-protocol.js';
export * from './ipv4.js';
export * from './ipv4-options.js';
export * from './ipv6.js';
export * from './ipv6-options.js';
export * from './tcp.js';
export * from './tcp-options.js';
export * from './udp.js';
export * from './icmpv4.js';
export * from './icmpv6.js';
export * from './invoking-packet.js';
export * from './packet.js';
export * from './format.js';

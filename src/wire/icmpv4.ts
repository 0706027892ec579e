/**
 * ICMP for IPv4 (RFC 792): every message starts with Type, Code, Checksum and four more octets
 * whose meaning depends on the type (the "rest of header"); then the body: echo data, or for an
 * error the invoking datagram's IP header and at least 64 bits of its data.
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     Type      |     Code      |          Checksum             |
 *    |                     rest of header                            |
 *    |                          body ...                             |
 *
 * The record is flat, one shape for every type: `identifier`/`sequenceNumber` are meaningful for
 * echo messages, `nextHopMtu` for Fragmentation Needed; `rest` holds the raw four octets for the
 * others (Parameter Problem's pointer is its top octet, a Redirect's gateway all four).
 */

import { readU16, readU32, writeU16, writeU32, view } from './bytes.js';
import { checksumIsValid, internetChecksum } from './checksum.js';
import { IPPROTO_ICMP } from './ip-protocol.js';
import { wireError, type WireError } from './parse-failure.js';

export const ICMP_HEADER_LENGTH = 8;

/** Types (RFC 792; IANA "ICMP Type Numbers"). */
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

/** Destination Unreachable codes (RFC 792; RFC 1812 §5.2.7.1 for 9-13). */
export const ICMP_NET_UNREACHABLE = 0;
export const ICMP_HOST_UNREACHABLE = 1;
export const ICMP_PROTOCOL_UNREACHABLE = 2;
export const ICMP_PORT_UNREACHABLE = 3;
/** "Fragmentation needed and DF set", with the Next-Hop MTU of RFC 1191 §4. */
export const ICMP_FRAGMENTATION_NEEDED = 4;
export const ICMP_SOURCE_ROUTE_FAILED = 5;
export const ICMP_ADMINISTRATIVELY_PROHIBITED = 13;

/** Time Exceeded codes (RFC 792). */
export const ICMP_TTL_EXCEEDED = 0;
export const ICMP_FRAGMENT_REASSEMBLY_TIME_EXCEEDED = 1;

/** RFC 1812 §4.3.2.3: an ICMP error, IP header included, should not exceed 576 bytes. Linux
 *  (`icmp_send`) quotes up to this limit. */
export const ICMP_ERROR_MAX_LENGTH = 576;

export interface Icmpv4Message {
  readonly ok: true;
  readonly protocol: typeof IPPROTO_ICMP;
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Octets 4-7 as an unsigned 32-bit number. */
  readonly rest: number;
  /** Echo and Echo Reply: Identifier (the high half of `rest`). */
  readonly identifier: number;
  /** Echo and Echo Reply: Sequence Number (the low half of `rest`). */
  readonly sequenceNumber: number;
  /** Fragmentation Needed: Next-Hop MTU (RFC 1191 §4; 0 from routers predating it). */
  readonly nextHopMtu: number;
  /** Octets 8 on: the echo data, or the invoking datagram quoted by an error (a view). Read the
   *  latter with `parseInvokingPacket`. */
  readonly body: Uint8Array;
}

export type Icmpv4ParseResult = Icmpv4Message | WireError;

const TRUNCATED = wireError('icmpv4', 'truncated');

/** Parses an ICMP message (the IP payload). Only a message shorter than its 8-octet header
 *  fails. The checksum is checked by {@link verifyIcmpv4Checksum}, which `parsePacket` calls. */
export function parseIcmpv4(bytes: Uint8Array): Icmpv4ParseResult {
  if (bytes.length < ICMP_HEADER_LENGTH) return TRUNCATED;
  const rest = readU32(bytes, 4);
  return {
    ok: true,
    protocol: IPPROTO_ICMP,
    type: bytes[0],
    code: bytes[1],
    checksum: readU16(bytes, 2),
    rest,
    identifier: rest >>> 16,
    sequenceNumber: rest & 0xffff,
    nextHopMtu: rest & 0xffff,
    body: view(bytes, ICMP_HEADER_LENGTH, bytes.length),
  };
}

/** RFC 792: the checksum covers the whole ICMP message, with no pseudo-header. */
export function verifyIcmpv4Checksum(message: Uint8Array): boolean {
  return checksumIsValid(message);
}

/** The fields a message is built from; a parsed {@link Icmpv4Message} is one. */
export interface Icmpv4MessageFields {
  readonly type: number;
  readonly code: number;
  /** Octets 4-7; default 0 ("unused" in most errors). */
  readonly rest?: number;
  readonly body?: Uint8Array;
}

/** Writes a message with its checksum at `buf[offset]`; returns its length. */
export function writeIcmpv4Message(buf: Uint8Array, offset: number, fields: Icmpv4MessageFields): number {
  const bodyLength = fields.body?.length ?? 0;
  const length = ICMP_HEADER_LENGTH + bodyLength;
  if (offset + length > buf.length) throw new RangeError('ICMP message does not fit in the buffer');
  buf[offset] = fields.type;
  buf[offset + 1] = fields.code;
  writeU16(buf, offset + 2, 0);
  writeU32(buf, offset + 4, fields.rest ?? 0);
  if (fields.body) buf.set(fields.body, offset + ICMP_HEADER_LENGTH);
  writeU16(buf, offset + 2, internetChecksum(buf, offset, offset + length));
  return length;
}

export function buildIcmpv4Message(fields: Icmpv4MessageFields): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_LENGTH + (fields.body?.length ?? 0));
  writeIcmpv4Message(out, 0, fields);
  return out;
}

export function buildIcmpv4EchoRequest(identifier: number, sequenceNumber: number, data: Uint8Array): Uint8Array {
  return buildIcmpv4Message({ type: ICMP_ECHO_REQUEST, code: 0, rest: echoRest(identifier, sequenceNumber), body: data });
}

/** RFC 792: "The data received in the echo message must be returned in the echo reply
 *  message", and the identifier and sequence number with it. */
export function buildIcmpv4EchoReply(identifier: number, sequenceNumber: number, data: Uint8Array): Uint8Array {
  return buildIcmpv4Message({ type: ICMP_ECHO_REPLY, code: 0, rest: echoRest(identifier, sequenceNumber), body: data });
}

function echoRest(identifier: number, sequenceNumber: number): number {
  return (((identifier & 0xffff) << 16) | (sequenceNumber & 0xffff)) >>> 0;
}

/**
 * How much of `invoking` (the offending IP datagram, from its first header byte) an error quotes:
 * RFC 792 asks for the IP header and the first 64 bits of data; RFC 1812 §4.3.2.3 for as much as
 * fits in 576 bytes, which Linux does. Bytes past the datagram's Total Length (link padding) are
 * never quoted.
 */
export function icmpv4Quote(invoking: Uint8Array): Uint8Array {
  let length = invoking.length;
  if (length >= 4 && invoking[0] >>> 4 === 4) {
    const totalLength = readU16(invoking, 2);
    if (totalLength >= 20 && totalLength < length) length = totalLength;
  }
  return invoking.subarray(0, Math.min(length, ICMP_ERROR_MAX_LENGTH - 20 - ICMP_HEADER_LENGTH));
}

/** Destination Unreachable for `invoking`, quoted by {@link icmpv4Quote}. `nextHopMtu` goes in
 *  the low half of the rest of header (RFC 1191 §4) and is only meaningful with code 4. */
export function buildIcmpv4DestinationUnreachable(code: number, invoking: Uint8Array, nextHopMtu = 0): Uint8Array {
  return buildIcmpv4Message({ type: ICMP_DEST_UNREACHABLE, code, rest: nextHopMtu & 0xffff, body: icmpv4Quote(invoking) });
}

/** Fragmentation Needed and DF Set (RFC 792 code 4) with the Next-Hop MTU (RFC 1191 §4): the
 *  IPv4 path MTU signal. */
export function buildIcmpv4FragmentationNeeded(invoking: Uint8Array, nextHopMtu: number): Uint8Array {
  return buildIcmpv4DestinationUnreachable(ICMP_FRAGMENTATION_NEEDED, invoking, nextHopMtu);
}

export function buildIcmpv4TimeExceeded(code: number, invoking: Uint8Array): Uint8Array {
  return buildIcmpv4Message({ type: ICMP_TIME_EXCEEDED, code, body: icmpv4Quote(invoking) });
}

/** Parameter Problem (RFC 792): `pointer` is the octet of the invoking header at fault. */
export function buildIcmpv4ParameterProblem(pointer: number, invoking: Uint8Array): Uint8Array {
  return buildIcmpv4Message({ type: ICMP_PARAMETER_PROBLEM, code: 0, rest: ((pointer & 0xff) << 24) >>> 0, body: icmpv4Quote(invoking) });
}

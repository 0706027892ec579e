/**
 * ICMPv6 (RFC 4443): the same Type, Code, Checksum and four octets as ICMPv4, but the checksum
 * includes the IPv6 pseudo-header (RFC 4443 §2.3), and errors quote as much of the invoking
 * packet as fits in the minimum MTU.
 *
 * The record is flat, one shape for every type: `identifier`/`sequenceNumber` are meaningful for
 * echo messages, `mtu` for Packet Too Big; `rest` holds the raw four octets for the others
 * (Parameter Problem's Pointer is all of it).
 */

import type { Ipv6Address } from './address.js';
import { readU16, readU32, view, writeU16, writeU32 } from './bytes.js';
import { checksumIsValid, internetChecksum, pseudoHeaderSumIpv6 } from './checksum.js';
import { IPPROTO_ICMPV6 } from './ip-protocol.js';
import { IPV6_HEADER_LENGTH, IPV6_MIN_MTU } from './ipv6.js';
import { wireError, type WireError } from './parse-failure.js';

export const ICMPV6_HEADER_LENGTH = 8;

/** Error types (RFC 4443 §3; values below 128). */
export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
/** Informational types (RFC 4443 §4; RFC 2710 / 3810 for MLD; RFC 4861 for Neighbor Discovery). */
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_MLD_QUERY = 130;
export const ICMPV6_MLD_REPORT = 131;
export const ICMPV6_MLD_DONE = 132;
export const ICMPV6_ROUTER_SOLICITATION = 133;
export const ICMPV6_ROUTER_ADVERTISEMENT = 134;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const ICMPV6_MLDV2_REPORT = 143;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMPV6_NO_ROUTE = 0;
export const ICMPV6_ADMINISTRATIVELY_PROHIBITED = 1;
export const ICMPV6_BEYOND_SCOPE = 2;
export const ICMPV6_ADDRESS_UNREACHABLE = 3;
export const ICMPV6_PORT_UNREACHABLE = 4;
/** Time Exceeded codes (RFC 4443 §3.3). */
export const ICMPV6_HOP_LIMIT_EXCEEDED = 0;
export const ICMPV6_FRAGMENT_REASSEMBLY_TIME_EXCEEDED = 1;
/** Parameter Problem codes (RFC 4443 §3.4). */
export const ICMPV6_ERRONEOUS_HEADER_FIELD = 0;
export const ICMPV6_UNRECOGNIZED_NEXT_HEADER = 1;
export const ICMPV6_UNRECOGNIZED_OPTION = 2;

export interface Icmpv6Message {
  readonly ok: true;
  readonly protocol: typeof IPPROTO_ICMPV6;
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Octets 4-7 as an unsigned 32-bit number (Parameter Problem: the Pointer). */
  readonly rest: number;
  /** Echo Request and Reply: Identifier. */
  readonly identifier: number;
  /** Echo Request and Reply: Sequence Number. */
  readonly sequenceNumber: number;
  /** Packet Too Big: the MTU of the next-hop link (RFC 4443 §3.2). */
  readonly mtu: number;
  /** Octets 8 on: echo data, the invoking packet quoted by an error, or a message's fields (a
   *  view). Read an invoking packet with `parseInvokingPacket`. */
  readonly body: Uint8Array;
}

export type Icmpv6ParseResult = Icmpv6Message | WireError;

const TRUNCATED = wireError('icmpv6', 'truncated');

/** Parses an ICMPv6 message (the upper-layer payload). Only a message shorter than its 8-octet
 *  header fails; the checksum needs the addresses: {@link verifyIcmpv6Checksum}. */
export function parseIcmpv6(bytes: Uint8Array): Icmpv6ParseResult {
  if (bytes.length < ICMPV6_HEADER_LENGTH) return TRUNCATED;
  const rest = readU32(bytes, 4);
  return {
    ok: true,
    protocol: IPPROTO_ICMPV6,
    type: bytes[0],
    code: bytes[1],
    checksum: readU16(bytes, 2),
    rest,
    identifier: rest >>> 16,
    sequenceNumber: rest & 0xffff,
    mtu: rest,
    body: view(bytes, ICMPV6_HEADER_LENGTH, bytes.length),
  };
}

/** RFC 4443 §2.3: the checksum covers the pseudo-header (RFC 8200 §8.1, Next Header 58) and the
 *  whole message. `src` and `dst` are the addresses of the packet carrying it. */
export function verifyIcmpv6Checksum(message: Uint8Array, src: Ipv6Address, dst: Ipv6Address): boolean {
  return checksumIsValid(message, 0, message.length, pseudoHeaderSumIpv6(src, dst, IPPROTO_ICMPV6, message.length));
}

/** The fields a message is built from; a parsed {@link Icmpv6Message} is one. */
export interface Icmpv6MessageFields {
  readonly type: number;
  readonly code: number;
  readonly rest?: number;
  readonly body?: Uint8Array;
}

/** Writes a message with its checksum at `buf[offset]`; returns its length. `src` and `dst` are
 *  the addresses of the IPv6 packet that will carry it. */
export function writeIcmpv6Message(
  buf: Uint8Array,
  offset: number,
  fields: Icmpv6MessageFields,
  src: Ipv6Address,
  dst: Ipv6Address,
): number {
  const length = ICMPV6_HEADER_LENGTH + (fields.body?.length ?? 0);
  if (offset + length > buf.length) throw new RangeError('ICMPv6 message does not fit in the buffer');
  buf[offset] = fields.type;
  buf[offset + 1] = fields.code;
  writeU16(buf, offset + 2, 0);
  writeU32(buf, offset + 4, fields.rest ?? 0);
  if (fields.body) buf.set(fields.body, offset + ICMPV6_HEADER_LENGTH);
  const pseudo = pseudoHeaderSumIpv6(src, dst, IPPROTO_ICMPV6, length);
  writeU16(buf, offset + 2, internetChecksum(buf, offset, offset + length, pseudo));
  return length;
}

export function buildIcmpv6Message(fields: Icmpv6MessageFields, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  const out = new Uint8Array(ICMPV6_HEADER_LENGTH + (fields.body?.length ?? 0));
  writeIcmpv6Message(out, 0, fields, src, dst);
  return out;
}

function echoRest(identifier: number, sequenceNumber: number): number {
  return (((identifier & 0xffff) << 16) | (sequenceNumber & 0xffff)) >>> 0;
}

export function buildIcmpv6EchoRequest(
  identifier: number,
  sequenceNumber: number,
  data: Uint8Array,
  src: Ipv6Address,
  dst: Ipv6Address,
): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_ECHO_REQUEST, code: 0, rest: echoRest(identifier, sequenceNumber), body: data }, src, dst);
}

/** RFC 4443 §4.2: the reply carries the request's Identifier, Sequence Number and data. */
export function buildIcmpv6EchoReply(
  identifier: number,
  sequenceNumber: number,
  data: Uint8Array,
  src: Ipv6Address,
  dst: Ipv6Address,
): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_ECHO_REPLY, code: 0, rest: echoRest(identifier, sequenceNumber), body: data }, src, dst);
}

/**
 * How much of `invoking` (the offending packet, from its IPv6 header) an error quotes: RFC 4443
 * §2.4(c), "as much of invoking packet as possible without the ICMPv6 packet exceeding the
 * minimum IPv6 MTU", i.e. 1280 − 40 − 8 = 1232 bytes (Linux `icmp6_send`). Bytes past the
 * packet's Payload Length (link padding) are never quoted.
 */
export function icmpv6Quote(invoking: Uint8Array): Uint8Array {
  let length = invoking.length;
  if (length >= IPV6_HEADER_LENGTH && invoking[0] >>> 4 === 6) {
    length = Math.min(length, IPV6_HEADER_LENGTH + readU16(invoking, 4));
  }
  return invoking.subarray(0, Math.min(length, IPV6_MIN_MTU - IPV6_HEADER_LENGTH - ICMPV6_HEADER_LENGTH));
}

export function buildIcmpv6DestinationUnreachable(code: number, invoking: Uint8Array, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_DEST_UNREACHABLE, code, body: icmpv6Quote(invoking) }, src, dst);
}

/** Packet Too Big (RFC 4443 §3.2) with the next-hop MTU: the IPv6 path MTU signal (RFC 8201). */
export function buildIcmpv6PacketTooBig(mtu: number, invoking: Uint8Array, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_PACKET_TOO_BIG, code: 0, rest: mtu >>> 0, body: icmpv6Quote(invoking) }, src, dst);
}

export function buildIcmpv6TimeExceeded(code: number, invoking: Uint8Array, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_TIME_EXCEEDED, code, body: icmpv6Quote(invoking) }, src, dst);
}

/** Parameter Problem (RFC 4443 §3.4): `pointer` is the octet offset, in the invoking packet, of
 *  the field at fault (e.g. an extension header's `offset` for an unrecognized Next Header). */
export function buildIcmpv6ParameterProblem(
  code: number,
  pointer: number,
  invoking: Uint8Array,
  src: Ipv6Address,
  dst: Ipv6Address,
): Uint8Array {
  return buildIcmpv6Message({ type: ICMPV6_PARAMETER_PROBLEM, code, rest: pointer >>> 0, body: icmpv6Quote(invoking) }, src, dst);
}

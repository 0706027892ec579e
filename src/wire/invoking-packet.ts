/**
 * The packet quoted in an ICMP error: RFC 792's "Internet Header + 64 bits of Original Data
 * Datagram", RFC 4443's "as much of invoking packet as possible". The stack reads it to find the
 * socket an error is about (addresses, protocol, ports, and for TCP the sequence number).
 *
 * Quotes are cut short by design, so this parser is lenient where the full parsers are strict:
 * Total Length and Payload Length may point past the quote, and the quoted IPv4 checksum is not
 * checked (Linux's `icmp_unreach` does not either). It needs the whole IP header and the first
 * 8 bytes of the upper layer, which every conforming error carries.
 */

import { ipv4AddressFromBytes, type IpAddress, type IpFamily } from './address.js';
import { readU16 } from './bytes.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
} from './ip-protocol.js';
import { wireError, type WireError } from './parse-failure.js';

/** RFC 792: the quote must reach 64 bits into the upper-layer header, i.e. both ports, and for
 *  TCP the sequence number. */
const MIN_TRANSPORT_BYTES = 8;

export interface InvokingPacket {
  readonly ok: true;
  readonly version: IpFamily;
  /** The offending packet's source: one of our addresses when the error is about our packet.
   *  IPv6 addresses are views into the message. */
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** The upper-layer protocol, after any IPv6 extension headers. */
  readonly protocol: number;
  /** The quoted upper-layer bytes: at least 8, and often not all of them (a view). */
  readonly transport: Uint8Array;
  /** The first two 16-bit fields of `transport`: the ports for TCP and UDP. */
  readonly srcPort: number;
  readonly dstPort: number;
}

export type InvokingPacketResult = InvokingPacket | WireError;

const V4 = {
  truncated: wireError('icmpv4', 'truncated'),
  badVersion: wireError('icmpv4', 'bad-version'),
  badHeaderLength: wireError('icmpv4', 'bad-header-length'),
};
const V6 = {
  truncated: wireError('icmpv6', 'truncated'),
  badVersion: wireError('icmpv6', 'bad-version'),
  fragment: wireError('icmpv6', 'fragment'),
};

/**
 * Reads the invoking packet from an ICMP error's body. `family` is the ICMP's own (4 for ICMP,
 * 6 for ICMPv6): the quoted packet must be of the same IP version.
 */
export function parseInvokingPacket(body: Uint8Array, family: IpFamily): InvokingPacketResult {
  return family === 4 ? parseQuotedIpv4(body) : parseQuotedIpv6(body);
}

function result(version: IpFamily, src: IpAddress, dst: IpAddress, protocol: number, body: Uint8Array, at: number): InvokingPacket {
  return {
    ok: true,
    version,
    src,
    dst,
    protocol,
    transport: body.subarray(at),
    srcPort: readU16(body, at),
    dstPort: readU16(body, at + 2),
  };
}

function parseQuotedIpv4(body: Uint8Array): InvokingPacketResult {
  if (body.length < 20 + MIN_TRANSPORT_BYTES) return V4.truncated;
  if (body[0] >>> 4 !== 4) return V4.badVersion;
  const headerLength = (body[0] & 0x0f) * 4;
  if (headerLength < 20) return V4.badHeaderLength;
  if (body.length < headerLength + MIN_TRANSPORT_BYTES) return V4.truncated;
  return result(4, ipv4AddressFromBytes(body, 12), ipv4AddressFromBytes(body, 16), body[9], body, headerLength);
}

function parseQuotedIpv6(body: Uint8Array): InvokingPacketResult {
  if (body.length < 40 + MIN_TRANSPORT_BYTES) return V6.truncated;
  if (body[0] >>> 4 !== 6) return V6.badVersion;
  let type = body[6];
  let at = 40;
  // The extension header walk of ipv6.ts, bounded by the quote instead of Payload Length.
  for (;;) {
    let length: number;
    if (type === IPPROTO_HOPOPTS || type === IPPROTO_ROUTING || type === IPPROTO_DSTOPTS) {
      if (at + 2 > body.length) return V6.truncated;
      length = (body[at + 1] + 1) * 8;
    } else if (type === IPPROTO_AH) {
      if (at + 2 > body.length) return V6.truncated;
      length = (body[at + 1] + 2) * 4;
    } else if (type === IPPROTO_FRAGMENT) {
      if (at + 8 > body.length) return V6.truncated;
      // A non-first fragment carries no upper-layer header to read (RFC 8200 §4.5).
      if (readU16(body, at + 2) >>> 3 !== 0) return V6.fragment;
      length = 8;
    } else {
      break;
    }
    type = body[at];
    at += length;
  }
  if (body.length < at + MIN_TRANSPORT_BYTES) return V6.truncated;
  return result(6, body.subarray(8, 24), body.subarray(24, 40), type, body, at);
}

/**
 * The UDP header (RFC 768), enough for the stack to answer with ICMP Port Unreachable and for
 * captures to be read:
 *
 *     0      7 8     15 16    23 24    31
 *    +--------+--------+--------+--------+
 *    |     Source      |   Destination   |
 *    |      Port       |      Port       |
 *    |     Length      |    Checksum     |
 */

import type { IpAddress } from './address.js';
import { EMPTY_BYTES, readU16, view, writeU16 } from './bytes.js';
import { checksumIsValid, internetChecksum, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_UDP } from './ip-protocol.js';
import { wireError, type WireError } from './parse-failure.js';

export const UDP_HEADER_LENGTH = 8;

export interface UdpDatagram {
  readonly ok: true;
  readonly protocol: typeof IPPROTO_UDP;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Header plus data, in bytes. */
  readonly length: number;
  /** 0 means "no checksum", allowed over IPv4 only (RFC 768; RFC 8200 §8.1). */
  readonly checksum: number;
  /** The data, a view bounded by Length. */
  readonly payload: Uint8Array;
}

export type UdpParseResult = UdpDatagram | WireError;

const TRUNCATED = wireError('udp', 'truncated');
const BAD_LENGTH = wireError('udp', 'bad-length');

/** Parses a UDP header; `bytes` is the IP payload. Length below 8 or beyond the bytes is
 *  'bad-length' (Linux `__udp4_lib_rcv`: "short packet"). The checksum is not verified here. */
export function parseUdp(bytes: Uint8Array): UdpParseResult {
  if (bytes.length < UDP_HEADER_LENGTH) return TRUNCATED;
  const length = readU16(bytes, 4);
  if (length < UDP_HEADER_LENGTH || length > bytes.length) return BAD_LENGTH;
  return {
    ok: true,
    protocol: IPPROTO_UDP,
    srcPort: readU16(bytes, 0),
    dstPort: readU16(bytes, 2),
    length,
    checksum: readU16(bytes, 6),
    payload: view(bytes, UDP_HEADER_LENGTH, length),
  };
}

/**
 * Whether the checksum of `datagram` (header and data, `length` bytes) verifies. A zero checksum
 * means "not computed" and passes over IPv4 (RFC 768); over IPv6 it fails (RFC 8200 §8.1: "IPv6
 * receivers must discard UDP packets containing a zero checksum").
 */
export function verifyUdpChecksum(datagram: Uint8Array, src: IpAddress, dst: IpAddress): boolean {
  if (datagram.length >= UDP_HEADER_LENGTH && readU16(datagram, 6) === 0) return typeof src === 'number';
  return checksumIsValid(datagram, 0, datagram.length, pseudoHeaderSum(src, dst, IPPROTO_UDP, datagram.length));
}

export interface UdpDatagramFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload?: Uint8Array;
}

/** Writes a datagram with its checksum at `buf[offset]` and returns its length. A computed
 *  checksum of 0 is sent as 0xffff, since 0 means "none" (RFC 768). */
export function writeUdpDatagram(
  buf: Uint8Array,
  offset: number,
  fields: UdpDatagramFields,
  src: IpAddress,
  dst: IpAddress,
): number {
  const payload = fields.payload ?? EMPTY_BYTES;
  const length = UDP_HEADER_LENGTH + payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram of ${length} bytes is too long`);
  if (offset + length > buf.length) throw new RangeError('UDP datagram does not fit in the buffer');
  writeU16(buf, offset, fields.srcPort);
  writeU16(buf, offset + 2, fields.dstPort);
  writeU16(buf, offset + 4, length);
  writeU16(buf, offset + 6, 0);
  buf.set(payload, offset + UDP_HEADER_LENGTH);
  const checksum = internetChecksum(buf, offset, offset + length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length));
  writeU16(buf, offset + 6, checksum === 0 ? 0xffff : checksum);
  return length;
}

/** A fresh datagram; see {@link writeUdpDatagram}. */
export function buildUdpDatagram(fields: UdpDatagramFields, src: IpAddress, dst: IpAddress): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LENGTH + (fields.payload?.length ?? 0));
  writeUdpDatagram(out, 0, fields, src, dst);
  return out;
}

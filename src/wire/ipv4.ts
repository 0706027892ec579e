/**
 * The IPv4 header (RFC 791 §3.1):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *    |         Identification        |Flags|      Fragment Offset    |
 *    |  Time to Live |    Protocol   |         Header Checksum       |
 *    |                       Source Address                          |
 *    |                    Destination Address                        |
 *    |                    Options                    |    Padding    |
 *
 * DSCP and ECN replace the old Type of Service octet (RFC 2474 §3, RFC 3168 §5).
 *
 * Fragments are not refused here: they parse with `isFragment: true` so that a capture reader
 * can show them; {@link parsePacket} turns them into the failure 'fragment' because tcplab does
 * not reassemble.
 */

import type { Ipv4Address } from './address.js';
import { EMPTY_BYTES, readU16, readU32, view, writeU16, writeU32 } from './bytes.js';
import { internetChecksum, onesComplementSum } from './checksum.js';
import { wireError, type WireError } from './parse-failure.js';

/** The header without options. */
export const IPV4_MIN_HEADER_LENGTH = 20;
/** IHL is 4 bits of 32-bit words: at most 60 bytes, so at most 40 bytes of options. */
export const IPV4_MAX_HEADER_LENGTH = 60;

/** Flags (RFC 791 §3.1), as the 3-bit field: bit 0 reserved, then DF, then MF. */
export const IPV4_RF = 0b100;
/** Don't Fragment. */
export const IPV4_DF = 0b010;
/** More Fragments. */
export const IPV4_MF = 0b001;

export interface Ipv4Header {
  readonly ok: true;
  readonly version: 4;
  /** Internet Header Length in 32-bit words (5..15). */
  readonly ihl: number;
  readonly dscp: number;
  readonly ecn: number;
  /** Header plus data, in bytes. */
  readonly totalLength: number;
  readonly identification: number;
  /** The 3-bit Flags field: {@link IPV4_DF}, {@link IPV4_MF}, {@link IPV4_RF}. */
  readonly flags: number;
  /** In units of 8 octets, as on the wire (RFC 791: "measured in units of 8 octets"). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  /** The option bytes as received, padding included (a view; empty when IHL is 5). Decode them
   *  with `parseIpv4Options`. */
  readonly options: Uint8Array;
  /** The data, a view bounded by Total Length: trailing link-layer padding is not part of it. */
  readonly payload: Uint8Array;
  /** MF set or Fragment Offset non-zero: this is one piece of a larger datagram. */
  readonly isFragment: boolean;
}

export type Ipv4ParseResult = Ipv4Header | WireError;

const TRUNCATED = wireError('ipv4', 'truncated');
const BAD_VERSION = wireError('ipv4', 'bad-version');
const BAD_HEADER_LENGTH = wireError('ipv4', 'bad-header-length');
const BAD_TOTAL_LENGTH = wireError('ipv4', 'bad-total-length');
const BAD_CHECKSUM = wireError('ipv4', 'bad-checksum');
const BAD_OPTION_LENGTH = wireError('ipv4', 'bad-option-length');

/**
 * Parses and validates an IPv4 header, in the order Linux's `ip_rcv_core` checks it so that the
 * same packet lands in the same counter: version and IHL, header bytes present, header checksum,
 * Total Length against the bytes (too few: 'truncated', as IpInTruncatedPkts) and against the
 * header (too small: 'bad-total-length'), then the option lengths (Linux `ip_options_compile`
 * drops a packet whose options do not parse).
 */
export function parseIpv4(bytes: Uint8Array): Ipv4ParseResult {
  const available = bytes.length;
  if (available < IPV4_MIN_HEADER_LENGTH) return TRUNCATED;
  const b0 = bytes[0];
  if (b0 >>> 4 !== 4) return BAD_VERSION;
  // RFC 791 §3.1: "the minimum value for a correct header is 5".
  const ihl = b0 & 0x0f;
  if (ihl < 5) return BAD_HEADER_LENGTH;
  const headerLength = ihl * 4;
  if (headerLength > available) return TRUNCATED;
  // RFC 791 §3.1: the checksum covers the header only; summing it with the field included
  // gives all ones when it is right (RFC 1071 §1).
  if (onesComplementSum(bytes, 0, headerLength) !== 0xffff) return BAD_CHECKSUM;
  const totalLength = readU16(bytes, 2);
  if (totalLength > available) return TRUNCATED;
  if (totalLength < headerLength) return BAD_TOTAL_LENGTH;
  if (ihl > 5 && !ipv4OptionLengthsValid(bytes, IPV4_MIN_HEADER_LENGTH, headerLength)) return BAD_OPTION_LENGTH;

  const flagsAndOffset = readU16(bytes, 6);
  const flags = flagsAndOffset >>> 13;
  const fragmentOffset = flagsAndOffset & 0x1fff;
  return {
    ok: true,
    version: 4,
    ihl,
    dscp: bytes[1] >>> 2,
    ecn: bytes[1] & 0b11,
    totalLength,
    identification: readU16(bytes, 4),
    flags,
    fragmentOffset,
    ttl: bytes[8],
    protocol: bytes[9],
    checksum: readU16(bytes, 10),
    src: readU32(bytes, 12),
    dst: readU32(bytes, 16),
    options: ihl > 5 ? bytes.subarray(IPV4_MIN_HEADER_LENGTH, headerLength) : EMPTY_BYTES,
    payload: view(bytes, headerLength, totalLength),
    // RFC 791 §3.2: a datagram is whole when MF is clear and the offset is zero.
    isFragment: (flags & IPV4_MF) !== 0 || fragmentOffset !== 0,
  };
}

/**
 * The type-length walk of RFC 791 §3.1 over `b[start, end)`: End of Option List and No Operation
 * are single octets, every other option has a length octet counting itself and the type, so it is
 * at least 2 and must stay inside the header.
 */
function ipv4OptionLengthsValid(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const type = b[i];
    if (type === 0) return true; // End of Option List: the rest is padding
    if (type === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const length = b[i + 1];
    if (length < 2 || i + length > end) return false;
    i += length;
  }
  return true;
}

/** The fields a header is built from; a parsed {@link Ipv4Header} is one. */
export interface Ipv4HeaderFields {
  readonly dscp?: number;
  readonly ecn?: number;
  readonly totalLength: number;
  readonly identification?: number;
  readonly flags?: number;
  readonly fragmentOffset?: number;
  /** Default 64, Linux's net.ipv4.ip_default_ttl. */
  readonly ttl?: number;
  readonly protocol: number;
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  /** Raw option bytes; padded with zeros (End of Option List) to a multiple of 4. At most 40. */
  readonly options?: Uint8Array;
}

/** The header length, in bytes, that `options` will give. */
export function ipv4HeaderLength(options: Uint8Array = EMPTY_BYTES): number {
  return IPV4_MIN_HEADER_LENGTH + ((options.length + 3) & ~3);
}

/**
 * Writes an IPv4 header at `buf[offset]`, with its checksum, and returns its length. Only the
 * header: the caller puts `totalLength - headerLength` bytes of data after it.
 * Throws RangeError for fields that cannot be encoded (a builder's input is the program's own).
 */
export function writeIpv4Header(buf: Uint8Array, offset: number, fields: Ipv4HeaderFields): number {
  const options = fields.options ?? EMPTY_BYTES;
  const headerLength = ipv4HeaderLength(options);
  if (headerLength > IPV4_MAX_HEADER_LENGTH) throw new RangeError(`IPv4 options too long: ${options.length} bytes`);
  if (fields.totalLength < headerLength || fields.totalLength > 0xffff) {
    throw new RangeError(`IPv4 total length ${fields.totalLength} out of range`);
  }
  if (offset + headerLength > buf.length) throw new RangeError('IPv4 header does not fit in the buffer');
  buf[offset] = 0x40 | (headerLength >>> 2);
  buf[offset + 1] = (((fields.dscp ?? 0) & 0x3f) << 2) | ((fields.ecn ?? 0) & 0b11);
  writeU16(buf, offset + 2, fields.totalLength);
  writeU16(buf, offset + 4, fields.identification ?? 0);
  writeU16(buf, offset + 6, (((fields.flags ?? 0) & 0b111) << 13) | ((fields.fragmentOffset ?? 0) & 0x1fff));
  buf[offset + 8] = fields.ttl ?? 64;
  buf[offset + 9] = fields.protocol;
  writeU16(buf, offset + 10, 0);
  writeU32(buf, offset + 12, fields.src);
  writeU32(buf, offset + 16, fields.dst);
  if (options.length > 0) {
    buf.set(options, offset + IPV4_MIN_HEADER_LENGTH);
    buf.fill(0, offset + IPV4_MIN_HEADER_LENGTH + options.length, offset + headerLength);
  }
  writeU16(buf, offset + 10, internetChecksum(buf, offset, offset + headerLength));
  return headerLength;
}

/** A fresh IPv4 datagram: header (Total Length computed) followed by `payload`. */
export function buildIpv4Packet(fields: Omit<Ipv4HeaderFields, 'totalLength'>, payload: Uint8Array): Uint8Array {
  const headerLength = ipv4HeaderLength(fields.options);
  const out = new Uint8Array(headerLength + payload.length);
  writeIpv4Header(out, 0, { ...fields, totalLength: out.length });
  out.set(payload, headerLength);
  return out;
}

/** Whether the header checksum of `header` (IHL-long bytes) verifies. */
export function verifyIpv4HeaderChecksum(header: Uint8Array): boolean {
  const headerLength = (header[0] & 0x0f) * 4;
  return headerLength >= IPV4_MIN_HEADER_LENGTH && headerLength <= header.length
    && onesComplementSum(header, 0, headerLength) === 0xffff;
}

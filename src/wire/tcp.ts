/**
 * The TCP header (RFC 9293 §3.1):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |          Source Port          |       Destination Port        |
 *    |                        Sequence Number                        |
 *    |                    Acknowledgment Number                      |
 *    |  Data |       |C|E|U|A|P|R|S|F|                               |
 *    | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *    |       |       |R|E|G|K|H|T|N|N|                               |
 *    |           Checksum            |         Urgent Pointer        |
 *    |                           [Options]                           |
 *
 * The parser does not verify the checksum: that needs the IP addresses (the pseudo-header), and
 * the parser stays IP-version agnostic. {@link verifyTcpChecksum} does it, and `parsePacket`
 * calls it.
 */

import type { IpAddress } from './address.js';
import { EMPTY_BYTES, readU16, readU32, view, writeU16, writeU32 } from './bytes.js';
import { checksumIsValid, internetChecksum, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_TCP } from './ip-protocol.js';
import { wireError, type WireError } from './parse-failure.js';
import {
  encodeTcpOptions,
  NO_SACK_BLOCKS,
  NO_UNKNOWN_OPTIONS,
  readTcpOptions,
  tcpOptionsLength,
  TCP_MAX_OPTIONS_LENGTH,
  type SackBlock,
  type TcpOption,
  type TcpOptionSummary,
  type TcpUnknownOption,
} from './tcp-options.js';

export const TCP_HEADER_LENGTH = 20;

/** Control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1), as bits of the `flags` octet. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export interface TcpSegment {
  readonly ok: true;
  /** Tells the transport records of a parsed packet apart. */
  readonly protocol: typeof IPPROTO_TCP;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** Header length in 32-bit words (5..15). */
  readonly dataOffset: number;
  /** The 4 reserved bits between Data Offset and CWR, kept so a segment re-encodes identically
   *  (the highest one is AccECN's AE, RFC 9768). */
  readonly reserved: number;
  /** The control bits: test with {@link TCP_SYN} and friends. */
  readonly flags: number;
  readonly window: number;
  readonly checksum: number;
  readonly urgentPointer: number;
  /** The option bytes as received, padding included (a view; empty without options). */
  readonly options: Uint8Array;
  /** The segment's data (a view). */
  readonly payload: Uint8Array;

  // The options, summarised as Linux's `struct tcp_options_received` (see tcp-options.ts).
  readonly mss: number | undefined;
  readonly windowScale: number | undefined;
  readonly sackPermitted: boolean;
  readonly tsVal: number | undefined;
  readonly tsEcr: number | undefined;
  readonly sackBlocks: readonly SackBlock[];
  readonly unknownOptions: readonly TcpUnknownOption[];
  /** An option had a bad length: the summary holds what came before it (Linux behaviour). */
  readonly optionsMalformed: boolean;
}

export type TcpParseResult = TcpSegment | WireError;

const TRUNCATED = wireError('tcp', 'truncated');
const BAD_DATA_OFFSET = wireError('tcp', 'bad-data-offset');

/** Reused by every parse (JS is single-threaded and the parse is synchronous), so reading the
 *  options allocates nothing. */
const summary: TcpOptionSummary = {
  mss: undefined,
  windowScale: undefined,
  sackPermitted: false,
  tsVal: undefined,
  tsEcr: undefined,
  sackBlocks: NO_SACK_BLOCKS,
  unknownOptions: NO_UNKNOWN_OPTIONS,
  malformed: false,
};

/**
 * Parses a TCP segment: `bytes` is the IP payload, exactly (the IP parsers bound it by their
 * length fields). Fails only when the fixed header is incomplete ('truncated') or Data Offset is
 * below 5 or beyond the segment ('bad-data-offset', Linux `tcp_v4_rcv`: `th->doff <
 * sizeof(struct tcphdr) / 4` and `pskb_may_pull(skb, th->doff * 4)`).
 */
export function parseTcp(bytes: Uint8Array): TcpParseResult {
  if (bytes.length < TCP_HEADER_LENGTH) return TRUNCATED;
  // RFC 9293 §3.1: Data Offset is "the number of 32-bit words in the TCP header".
  const dataOffset = bytes[12] >>> 4;
  const headerLength = dataOffset * 4;
  if (dataOffset < 5 || headerLength > bytes.length) return BAD_DATA_OFFSET;
  readTcpOptions(bytes, TCP_HEADER_LENGTH, headerLength, summary);
  return {
    ok: true,
    protocol: IPPROTO_TCP,
    srcPort: readU16(bytes, 0),
    dstPort: readU16(bytes, 2),
    seq: readU32(bytes, 4),
    ack: readU32(bytes, 8),
    dataOffset,
    reserved: bytes[12] & 0x0f,
    flags: bytes[13],
    window: readU16(bytes, 14),
    checksum: readU16(bytes, 16),
    urgentPointer: readU16(bytes, 18),
    options: view(bytes, TCP_HEADER_LENGTH, headerLength),
    payload: view(bytes, headerLength, bytes.length),
    mss: summary.mss,
    windowScale: summary.windowScale,
    sackPermitted: summary.sackPermitted,
    tsVal: summary.tsVal,
    tsEcr: summary.tsEcr,
    sackBlocks: summary.sackBlocks,
    unknownOptions: summary.unknownOptions,
    optionsMalformed: summary.malformed,
  };
}

/**
 * Whether the checksum of `segment` (the whole TCP header and data, as carried by IP) verifies
 * with the pseudo-header of `src` and `dst` (RFC 9293 §3.1; RFC 8200 §8.1 for IPv6).
 */
export function verifyTcpChecksum(segment: Uint8Array, src: IpAddress, dst: IpAddress): boolean {
  return checksumIsValid(segment, 0, segment.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, segment.length));
}

/** The fields a segment is built from; a parsed {@link TcpSegment} is one. */
export interface TcpSegmentFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  /** Default 0. */
  readonly ack?: number;
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer?: number;
  readonly reserved?: number;
  /** In the given order (see `linuxTcpOptions`), or raw bytes copied verbatim; either way padded
   *  with zeros to a 32-bit boundary. */
  readonly options?: readonly TcpOption[] | Uint8Array;
  readonly payload?: Uint8Array;
}

function optionsLength(options: readonly TcpOption[] | Uint8Array | undefined): number {
  if (options === undefined) return 0;
  return options instanceof Uint8Array ? (options.length + 3) & ~3 : tcpOptionsLength(options);
}

/** The header length, options and padding included, that these fields give. */
export function tcpHeaderLength(fields: Pick<TcpSegmentFields, 'options'>): number {
  return TCP_HEADER_LENGTH + optionsLength(fields.options);
}

/**
 * Writes a whole segment (header, options, data) at `buf[offset]`, with the checksum over the
 * pseudo-header of `src` and `dst`. Returns the segment's length. Throws RangeError for fields
 * that cannot be encoded or a buffer too small.
 *
 * `partialChecksum`: write only the folded pseudo-header sum, for a device with checksum offload
 * to finish (Linux tcp_v4_send_check with CHECKSUM_PARTIAL): the data is never summed here.
 */
export function writeTcpSegment(
  buf: Uint8Array,
  offset: number,
  fields: TcpSegmentFields,
  src: IpAddress,
  dst: IpAddress,
  partialChecksum = false,
): number {
  const options = fields.options;
  const headerLength = tcpHeaderLength(fields);
  if (headerLength - TCP_HEADER_LENGTH > TCP_MAX_OPTIONS_LENGTH) {
    throw new RangeError(`TCP options take ${headerLength - TCP_HEADER_LENGTH} bytes, more than 40`);
  }
  const payload = fields.payload ?? EMPTY_BYTES;
  const length = headerLength + payload.length;
  if (offset + length > buf.length) throw new RangeError('TCP segment does not fit in the buffer');
  writeU16(buf, offset, fields.srcPort);
  writeU16(buf, offset + 2, fields.dstPort);
  writeU32(buf, offset + 4, fields.seq);
  writeU32(buf, offset + 8, fields.ack ?? 0);
  buf[offset + 12] = ((headerLength >>> 2) << 4) | ((fields.reserved ?? 0) & 0x0f);
  buf[offset + 13] = fields.flags;
  writeU16(buf, offset + 14, fields.window);
  writeU16(buf, offset + 16, 0);
  writeU16(buf, offset + 18, fields.urgentPointer ?? 0);
  const optionsStart = offset + TCP_HEADER_LENGTH;
  if (options instanceof Uint8Array) {
    buf.set(options, optionsStart);
    buf.fill(0, optionsStart + options.length, offset + headerLength);
  } else if (options !== undefined) {
    encodeTcpOptions(options, buf, optionsStart);
  }
  // The data may already be in place (written there by the sender, see src/stack/ip-output.ts).
  if (payload.buffer !== buf.buffer || payload.byteOffset !== buf.byteOffset + offset + headerLength) buf.set(payload, offset + headerLength);
  const pseudo = pseudoHeaderSum(src, dst, IPPROTO_TCP, length);
  writeU16(buf, offset + 16, partialChecksum ? pseudo : internetChecksum(buf, offset, offset + length, pseudo));
  return length;
}

/** A fresh segment; see {@link writeTcpSegment}. */
export function buildTcpSegment(fields: TcpSegmentFields, src: IpAddress, dst: IpAddress): Uint8Array {
  const out = new Uint8Array(tcpHeaderLength(fields) + (fields.payload?.length ?? 0));
  writeTcpSegment(out, 0, fields, src, dst);
  return out;
}

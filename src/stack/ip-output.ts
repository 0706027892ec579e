// Wraps a transport payload in the IP header of its family, as the stack sends it.
import { toTcpSegmentFields, type Endpoint, type OutgoingSegment } from '../tcp/outgoing-segment.js';
import type { IpAddress } from '../wire/address.js';
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import { IPV4_DF, IPV4_MIN_HEADER_LENGTH, buildIpv4Packet, writeIpv4Header } from '../wire/ipv4.js';
import { IPV6_HEADER_LENGTH, buildIpv6Packet, writeIpv6Header } from '../wire/ipv6.js';
import { markPartialChecksum } from '../wire/partial-checksum.js';
import { takeBytes } from '../wire/slab.js';
import { tcpHeaderLength, writeTcpSegment, type TcpSegmentFields } from '../wire/tcp.js';

export interface IpOutputOptions {
  /** TTL / Hop Limit; default 64 (Linux's ip_default_ttl and hop_limit). */
  ttl?: number;
  /** IPv4 Identification. Linux gives DF packets a per-socket counter; 0 is valid too. */
  identification?: number;
}

/** A fresh IPv4 or IPv6 packet from `src` to `dst` (both of one family) carrying `payload`. */
export function ipPacket(src: IpAddress, dst: IpAddress, protocol: number, payload: Uint8Array, options: IpOutputOptions = {}): Uint8Array {
  if (typeof src === 'number') {
    if (typeof dst !== 'number') throw new TypeError('ipPacket: source and destination are of different families');
    // Linux sets DF on TCP and ICMP replies: path MTU discovery (RFC 1191) is on by default.
    return buildIpv4Packet({ src, dst, protocol, ttl: options.ttl, identification: options.identification, flags: IPV4_DF }, payload);
  }
  if (typeof dst === 'number') throw new TypeError('ipPacket: source and destination are of different families');
  return buildIpv6Packet({ src, dst, protocol, hopLimit: options.ttl }, payload);
}

/** What the device finishes for a TCP packet (src/wire/partial-checksum.ts). */
export interface TcpOffload {
  /** Write only the pseudo-header sum and mark the packet: the device computes the checksum. */
  readonly partialChecksum: boolean;
  /** A super-segment: the device cuts it into segments of this many data bytes (gso_size). */
  readonly gsoSize?: number;
}

/**
 * A TCP segment in its IP packet, written in one pass into one array: the IP header, the TCP
 * header and options, the data (copied once), the TCP checksum over the pseudo-header, header
 * and data. The same bytes as `ipPacket(src, dst, IPPROTO_TCP, buildTcpSegment(fields, src,
 * dst))`, without the intermediate segment: this is the per-segment send path. With
 * `offload.partialChecksum` the data is not summed at all (see {@link TcpOffload}).
 */
export function tcpPacket(src: IpAddress, dst: IpAddress, fields: TcpSegmentFields, offload?: TcpOffload, headroom = 0): Uint8Array {
  const payloadLength = fields.payload?.length ?? 0;
  const tcpLength = tcpHeaderLength(fields) + payloadLength;
  const partial = offload?.partialChecksum ?? false;
  const v4 = typeof src === 'number';
  if (v4 !== (typeof dst === 'number')) throw new TypeError('tcpPacket: source and destination are of different families');
  const ipLength = v4 ? IPV4_MIN_HEADER_LENGTH : IPV6_HEADER_LENGTH;
  const total = ipLength + tcpLength;
  const headers = total - payloadLength;
  const payload = fields.payload;
  // The headers go in front of the data, in the room the segment owns there: no second copy.
  const out =
    payload !== undefined && headroom >= headers
      ? new Uint8Array(payload.buffer, payload.byteOffset - headers, total)
      : takeBytes(total);
  if (v4) writeIpv4Header(out, 0, { src, dst: dst as number, protocol: IPPROTO_TCP, flags: IPV4_DF, totalLength: total });
  else writeIpv6Header(out, 0, { src, dst: dst as Exclude<IpAddress, number>, nextHeader: IPPROTO_TCP, payloadLength: tcpLength });
  writeTcpSegment(out, ipLength, fields, src, dst, partial);
  if (partial) markPartialChecksum(out, offload?.gsoSize ?? 0);
  return out;
}

/** The packet for a segment a connection produced, from `local` to `remote` (see tcpPacket). */
export function segmentPacket(s: OutgoingSegment, local: Endpoint, remote: Endpoint, checksumOffload: boolean): Uint8Array {
  const offload = checksumOffload ? { partialChecksum: true, gsoSize: s.gsoSize } : undefined;
  return tcpPacket(local.address, remote.address, toTcpSegmentFields(s, local, remote), offload, s.headroom ?? 0);
}

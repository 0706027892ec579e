// Wraps a transport payload in the IP header of its family, as the stack sends it.
import type { IpAddress } from '../wire/address.js';
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import { IPV4_DF, IPV4_MIN_HEADER_LENGTH, buildIpv4Packet, writeIpv4Header } from '../wire/ipv4.js';
import { IPV6_HEADER_LENGTH, buildIpv6Packet, writeIpv6Header } from '../wire/ipv6.js';
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

/**
 * A TCP segment in its IP packet, written in one pass into one array: the IP header, the TCP
 * header and options, the data (copied once), the TCP checksum over the pseudo-header, header
 * and data. The same bytes as `ipPacket(src, dst, IPPROTO_TCP, buildTcpSegment(fields, src,
 * dst))`, without the intermediate segment: this is the per-segment send path.
 */
export function tcpPacket(src: IpAddress, dst: IpAddress, fields: TcpSegmentFields): Uint8Array {
  const tcpLength = tcpHeaderLength(fields) + (fields.payload?.length ?? 0);
  if (typeof src === 'number') {
    if (typeof dst !== 'number') throw new TypeError('tcpPacket: source and destination are of different families');
    const out = takeBytes(IPV4_MIN_HEADER_LENGTH + tcpLength);
    writeIpv4Header(out, 0, { src, dst, protocol: IPPROTO_TCP, flags: IPV4_DF, totalLength: out.length });
    writeTcpSegment(out, IPV4_MIN_HEADER_LENGTH, fields, src, dst);
    return out;
  }
  if (typeof dst === 'number') throw new TypeError('tcpPacket: source and destination are of different families');
  const out = takeBytes(IPV6_HEADER_LENGTH + tcpLength);
  writeIpv6Header(out, 0, { src, dst, nextHeader: IPPROTO_TCP, payloadLength: tcpLength });
  writeTcpSegment(out, IPV6_HEADER_LENGTH, fields, src, dst);
  return out;
}

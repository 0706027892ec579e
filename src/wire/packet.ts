/**
 * One entry point for a raw IP packet as it comes off a TUN device: the version nibble picks
 * IPv4 or IPv6, the protocol picks TCP, UDP, ICMP or ICMPv6, and every layer is validated,
 * transport checksums included. The result holds views into `bytes`: nothing is copied, and it
 * is only valid while `bytes` is.
 */

import type { WireError, ParseFailure, WireLayer } from './parse-failure.js';
import { wireError } from './parse-failure.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './ip-protocol.js';
import { parseIpv4, type Ipv4Header } from './ipv4.js';
import { parseIpv6, type Ipv6Header } from './ipv6.js';
import { parseTcp, verifyTcpChecksum, type TcpSegment } from './tcp.js';
import { parseUdp, verifyUdpChecksum, type UdpDatagram } from './udp.js';
import { parseIcmpv4, verifyIcmpv4Checksum, type Icmpv4Message } from './icmpv4.js';
import { parseIcmpv6, verifyIcmpv6Checksum, type Icmpv6Message } from './icmpv6.js';

export type IpHeader = Ipv4Header | Ipv6Header;

/** Tell them apart by `protocol` (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6). */
export type TransportHeader = TcpSegment | UdpDatagram | Icmpv4Message | Icmpv6Message;

export interface Packet {
  readonly ok: true;
  readonly ip: IpHeader;
  readonly l4: TransportHeader;
}

/**
 * A refused packet. When the IP layer was fine and a layer above it was not, `ip` is there, so
 * the stack can answer (ICMP Protocol Unreachable for 'unknown-protocol') and count per family.
 */
export interface PacketError extends WireError {
  readonly ip?: IpHeader;
}

export type PacketParseResult = Packet | PacketError;

const EMPTY = wireError('ip', 'truncated');
const BAD_VERSION = wireError('ip', 'bad-version');

function fail(layer: WireLayer, reason: ParseFailure, ip: IpHeader): PacketError {
  return { ok: false, reason, layer, ip };
}

/**
 * Parses an IP packet down to its transport header.
 *
 * Fails with: any IPv4/IPv6 reason; 'fragment' for a piece of a fragmented datagram (tcplab does
 * not reassemble; an IPv6 atomic fragment is not one); 'unknown-protocol' for anything but TCP,
 * UDP and the ICMP of the packet's own IP version; any TCP/UDP/ICMP reason; and 'bad-checksum'
 * when a transport checksum does not verify.
 *
 * `verifyTransportChecksum` = false skips the TCP, UDP, ICMP and ICMPv6 checksums, for packets
 * the kernel has marked as already checked or not yet summed (virtio-net header
 * DATA_VALID / NEEDS_CSUM). The IPv4 header checksum is always checked.
 */
export function parsePacket(bytes: Uint8Array, verifyTransportChecksum = true): PacketParseResult {
  if (bytes.length === 0) return EMPTY;
  const version = bytes[0] >>> 4;
  const ip = version === 4 ? parseIpv4(bytes) : version === 6 ? parseIpv6(bytes) : BAD_VERSION;
  if (!ip.ok) return ip;
  const layer: WireLayer = ip.version === 4 ? 'ipv4' : 'ipv6';
  if (ip.isFragment) return fail(layer, 'fragment', ip);
  const payload = ip.payload;

  switch (ip.protocol) {
    case IPPROTO_TCP: {
      const tcp = parseTcp(payload);
      if (!tcp.ok) return fail('tcp', tcp.reason, ip);
      if (verifyTransportChecksum && !verifyTcpChecksum(payload, ip.src, ip.dst)) return fail('tcp', 'bad-checksum', ip);
      return { ok: true, ip, l4: tcp };
    }
    case IPPROTO_UDP: {
      const udp = parseUdp(payload);
      if (!udp.ok) return fail('udp', udp.reason, ip);
      // RFC 768: the checksum covers Length bytes; anything after them is not the datagram's.
      const datagram = udp.length === payload.length ? payload : payload.subarray(0, udp.length);
      if (verifyTransportChecksum && !verifyUdpChecksum(datagram, ip.src, ip.dst)) return fail('udp', 'bad-checksum', ip);
      return { ok: true, ip, l4: udp };
    }
    case IPPROTO_ICMP: {
      if (ip.version !== 4) break;
      const icmp = parseIcmpv4(payload);
      if (!icmp.ok) return fail('icmpv4', icmp.reason, ip);
      if (verifyTransportChecksum && !verifyIcmpv4Checksum(payload)) return fail('icmpv4', 'bad-checksum', ip);
      return { ok: true, ip, l4: icmp };
    }
    case IPPROTO_ICMPV6: {
      if (ip.version !== 6) break;
      const icmp = parseIcmpv6(payload);
      if (!icmp.ok) return fail('icmpv6', icmp.reason, ip);
      if (verifyTransportChecksum && !verifyIcmpv6Checksum(payload, ip.src, ip.dst)) return fail('icmpv6', 'bad-checksum', ip);
      return { ok: true, ip, l4: icmp };
    }
  }
  return fail(layer, 'unknown-protocol', ip);
}

// The virtio-net header that precedes every packet on a TUN device opened with IFF_VNET_HDR
// (Linux include/uapi/linux/virtio_net.h, struct virtio_net_hdr_v1; virtio 1.x §5.1.6), and
// what it means for the packets tcplab reads and writes:
//
//    0        1        2        4          6           8            10           12
//   +--------+--------+--------+----------+-----------+------------+------------+
//   | flags  |gso_type| hdr_len| gso_size | csum_start| csum_offset| num_buffers|
//   +--------+--------+--------+----------+-----------+------------+------------+
//
// 16-bit fields little-endian (the device is put in little-endian mode, TUNSETVNETLE).
//
// Read from the kernel: `gso_type` TCPV4/TCPV6 marks a coalesced super-packet (up to 64 KiB,
// every segment of it `gso_size` bytes but the last): tcplab takes it as ONE segment, as the
// kernel's own TCP takes a GRO packet. NEEDS_CSUM means the checksum field holds only the
// pseudo-header sum (the packet never left the host, nobody computed it); DATA_VALID that the
// kernel verified it. Either way tcplab trusts it (SYNs included).
//
// Written to the kernel: a packet the stack marked partial (src/wire/partial-checksum.ts) gets
// NEEDS_CSUM with csum_start at its TCP header, and, when it is larger than the MTU, gso_type
// TCPV4/TCPV6 with gso_size = the segment's MSS: the kernel receives it as one super-segment.
import { partialChecksum } from '../wire/partial-checksum.js';

export const VNET_HDR_SIZE = 12;

/** flags */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** gso_type */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** TCP's checksum field, from the start of its header. */
const TCP_CHECKSUM_OFFSET = 16;
const IPPROTO_TCP = 6;

export interface VirtioNetHdr {
  flags: number;
  gsoType: number;
  /** Bytes of headers (IP + TCP) before the data of each segment. */
  hdrLen: number;
  gsoSize: number;
  /** Where the checksum starts (the transport header), and where its field is from there. */
  csumStart: number;
  csumOffset: number;
}

export function decodeVnetHdr(b: Uint8Array, offset = 0, out: VirtioNetHdr = emptyVnetHdr()): VirtioNetHdr {
  out.flags = b[offset];
  out.gsoType = b[offset + 1];
  out.hdrLen = b[offset + 2] | (b[offset + 3] << 8);
  out.gsoSize = b[offset + 4] | (b[offset + 5] << 8);
  out.csumStart = b[offset + 6] | (b[offset + 7] << 8);
  out.csumOffset = b[offset + 8] | (b[offset + 9] << 8);
  return out;
}

export function encodeVnetHdr(h: VirtioNetHdr, b: Uint8Array, offset = 0): void {
  b[offset] = h.flags;
  b[offset + 1] = h.gsoType;
  writeLe16(b, offset + 2, h.hdrLen);
  writeLe16(b, offset + 4, h.gsoSize);
  writeLe16(b, offset + 6, h.csumStart);
  writeLe16(b, offset + 8, h.csumOffset);
  writeLe16(b, offset + 10, 0); // num_buffers: only for mergeable receive buffers
}

export function emptyVnetHdr(): VirtioNetHdr {
  return { flags: 0, gsoType: VIRTIO_NET_HDR_GSO_NONE, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
}

function writeLe16(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff;
  b[i + 1] = (v >>> 8) & 0xff;
}

/** Where the transport header starts in an IP packet whose protocol is TCP, or -1. */
function tcpHeaderStart(packet: Uint8Array): number {
  if (packet.length < 20) return -1;
  const version = packet[0] >>> 4;
  if (version === 4) return packet[9] === IPPROTO_TCP ? (packet[0] & 0x0f) * 4 : -1;
  // IPv6: tcplab's own packets carry no extension headers.
  if (version === 6) return packet.length >= 60 && packet[6] === IPPROTO_TCP ? 40 : -1;
  return -1;
}

/**
 * The header to write before `packet` (see the top of this file): all zeros for a packet with
 * its checksum complete; NEEDS_CSUM for one marked partial; and TSO for a marked one larger than
 * `mtu`. Throws for a partial packet that is not TCP (a bug of the stack, never the network's).
 */
export function txVnetHdr(packet: Uint8Array, mtu: number, out: Uint8Array, offset: number): void {
  out.fill(0, offset, offset + VNET_HDR_SIZE);
  const gsoSize = partialChecksum(packet);
  if (gsoSize === undefined) return;
  const start = tcpHeaderStart(packet);
  if (start < 0) throw new Error('a packet marked with a partial checksum is not TCP');
  out[offset] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  writeLe16(out, offset + 6, start);
  writeLe16(out, offset + 8, TCP_CHECKSUM_OFFSET);
  if (packet.length > mtu && gsoSize > 0) {
    out[offset + 1] = packet[0] >>> 4 === 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    writeLe16(out, offset + 2, start + (packet[start + 12] >>> 4) * 4);
    writeLe16(out, offset + 4, gsoSize);
  }
}

/** Whether a received packet's transport checksum needs no verification (see the top). */
export function rxChecksumTrusted(flags: number): boolean {
  return (flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) !== 0;
}

// The reset a host sends for a segment that belongs to no connection.
import { IPPROTO_TCP } from '../wire/ip-protocol.js';
import type { IpHeader } from '../wire/packet.js';
import { seqAdd } from '../wire/seq.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, buildTcpSegment, type TcpSegment } from '../wire/tcp.js';
import { ipPacket } from './ip-output.js';

/** SEG.LEN: the data length, plus one for SYN and one for FIN (RFC 9293 §3.4). */
export function segmentLength(segment: TcpSegment): number {
  return segment.payload.length + (segment.flags & TCP_SYN ? 1 : 0) + (segment.flags & TCP_FIN ? 1 : 0);
}

/**
 * The RST answering `segment` when no connection exists (RFC 9293 §3.10.7.1, CLOSED state):
 * "An incoming segment containing a RST is discarded. An incoming segment not containing a
 * RST causes a RST to be sent in response. [...] If the ACK bit is off, sequence number zero
 * is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If the ACK bit is on,
 * <SEQ=SEG.ACK><CTL=RST>". Like Linux's tcp_v4_send_reset, it carries no options and a zero
 * window. Returns undefined for a segment that must not be answered.
 */
export function resetFor(ip: IpHeader, segment: TcpSegment): Uint8Array | undefined {
  if (segment.flags & TCP_RST) return undefined;
  const fields =
    segment.flags & TCP_ACK
      ? { srcPort: segment.dstPort, dstPort: segment.srcPort, seq: segment.ack, flags: TCP_RST, window: 0 }
      : { srcPort: segment.dstPort, dstPort: segment.srcPort, seq: 0, ack: seqAdd(segment.seq, segmentLength(segment)), flags: TCP_RST | TCP_ACK, window: 0 };
  return ipPacket(ip.dst, ip.src, IPPROTO_TCP, buildTcpSegment(fields, ip.dst, ip.src));
}

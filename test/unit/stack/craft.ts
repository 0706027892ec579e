// Hand-made segments for packet scripts against a stack: what a peer (or an old duplicate, or
// an attacker) sends, built on the wire as the real thing would be.
import { IPPROTO_TCP, buildTcpSegment, formatPacket, linuxTcpOptions, parseIpAddress, parsePacket, type TcpSegment } from '../../../src/wire/index.js';
import { ipPacket } from '../../../src/stack/ip-output.js';

export interface CraftedSegment {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly window?: number;
  readonly tsVal?: number;
  readonly tsEcr?: number;
  readonly payload?: Uint8Array;
}

/** An IP packet carrying the segment, checksums right, options in Linux's layout. */
export function tcpPacket(s: CraftedSegment): Uint8Array {
  const src = parseIpAddress(s.src)!;
  const dst = parseIpAddress(s.dst)!;
  const options = linuxTcpOptions({ tsVal: s.tsVal, tsEcr: s.tsVal === undefined ? undefined : (s.tsEcr ?? 0) });
  const tcp = buildTcpSegment(
    { srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq >>> 0, ack: (s.ack ?? 0) >>> 0, flags: s.flags, window: s.window ?? 502, options, payload: s.payload },
    src,
    dst,
  );
  return ipPacket(src, dst, IPPROTO_TCP, tcp);
}

/** The TCP segment of an output packet (throws on anything else). */
export function tcpOf(packet: Uint8Array): TcpSegment {
  const parsed = parsePacket(packet);
  if (!parsed.ok || parsed.l4.protocol !== IPPROTO_TCP) throw new Error(`not a TCP packet: ${formatPacket(parsed)}`);
  return parsed.l4;
}

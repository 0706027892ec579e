// TCP segments out of captured packets, grouped into connections: what the time-sequence graph
// plots. A capture cut to its headers (a snap length) still gives every segment's length, from
// the IP header.
import { formatIpAddress, type IpAddress } from '../../wire/address.js';
import { IPPROTO_TCP } from '../../wire/ip-protocol.js';
import { parsePacket } from '../../wire/packet.js';
import type { SackBlock } from '../../wire/tcp-options.js';

export interface CapturedPacket {
  /** Capture time, milliseconds (any origin). */
  readonly at: number;
  /** The IP packet, as captured (possibly cut short by a snap length). */
  readonly ip: Uint8Array;
  /** Its length on the wire, when more than `ip.length` was sent. */
  readonly wireLength?: number;
}

export interface SegmentRecord {
  readonly at: number;
  /** "10.77.0.2:5020" or "[fd00:77::2]:5020". */
  readonly src: string;
  readonly dst: string;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** Payload bytes on the wire (not just those captured). */
  readonly length: number;
  readonly sack: readonly SackBlock[];
  readonly windowScale: number | undefined;
}

export interface Conversation {
  /** The end that sent the first segment seen (the client when the SYN was captured). */
  readonly a: string;
  readonly b: string;
  readonly segments: readonly SegmentRecord[];
}

export function endpointText(address: IpAddress, port: number): string {
  const a = formatIpAddress(address);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/** The TCP segments among `packets`, in capture order. Anything else (ICMP, UDP, packets that
 *  do not parse) is skipped, and counted. */
export function tcpSegments(packets: readonly CapturedPacket[]): { segments: SegmentRecord[]; skipped: number } {
  const segments: SegmentRecord[] = [];
  let skipped = 0;
  for (const p of packets) {
    // Headers-only captures: give the parser the packet's full length (zeros for the bytes not
    // kept) so the IP length checks pass; checksums cannot be verified then, and are not.
    const bytes = p.wireLength !== undefined && p.wireLength > p.ip.length ? padTo(p.ip, p.wireLength) : p.ip;
    const parsed = parsePacket(bytes, false);
    if (!parsed.ok || parsed.l4.protocol !== IPPROTO_TCP) {
      skipped++;
      continue;
    }
    const tcp = parsed.l4;
    segments.push({
      at: p.at,
      src: endpointText(parsed.ip.src, tcp.srcPort),
      dst: endpointText(parsed.ip.dst, tcp.dstPort),
      seq: tcp.seq,
      ack: tcp.ack,
      flags: tcp.flags,
      window: tcp.window,
      length: tcp.payload.length,
      sack: tcp.sackBlocks,
      windowScale: tcp.windowScale,
    });
  }
  return { segments, skipped };
}

function padTo(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes);
  return out;
}

/** Segments grouped by connection (the pair of endpoints), in order of first appearance. */
export function conversations(segments: readonly SegmentRecord[]): Conversation[] {
  const byPair = new Map<string, { a: string; b: string; segments: SegmentRecord[] }>();
  for (const s of segments) {
    const key = s.src < s.dst ? `${s.src} ${s.dst}` : `${s.dst} ${s.src}`;
    let c = byPair.get(key);
    if (!c) {
      c = { a: s.src, b: s.dst, segments: [] };
      byPair.set(key, c);
    }
    c.segments.push(s);
  }
  return [...byPair.values()];
}

/** Payload bytes each end of a conversation sent (retransmissions included). */
export function bytesSent(c: Conversation): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (const s of c.segments) {
    if (s.src === c.a) a += s.length;
    else b += s.length;
  }
  return { a, b };
}

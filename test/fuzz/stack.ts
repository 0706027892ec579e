/**
 * Fuzz target: the host stack (src/stack/stack.ts) fed whatever arrives on a link. Stack A
 * listens on port 80 (IPv4 and IPv6) and holds two connections with a real peer, stack B, that
 * keep exchanging data; between their packets A receives:
 *
 * - forged TCP segments built field by field (checksums right, so they reach the engines):
 *   addresses and ports of the real connections or of nobody, sequence and ACK numbers near the
 *   connections' own or anywhere, any flag byte, raw option bytes, any payload;
 * - real packets of the conversation with bytes flipped, replaced, cut or appended, with
 *   checksums left wrong or fixed up;
 * - random bytes; other protocols (ICMP, ICMPv6 errors quoting our connections, UDP).
 *
 * After every packet: input() did not throw; the counters account for it exactly once
 * (received = delivered + not-ours + dropped-by-reason, delivered = TCP + ICMP + ICMPv6 + UDP);
 * one packet never makes the stack send more than a window's worth; the connection table
 * stays within what the listeners' queues allow.
 *
 * Used by test/unit/fuzz/stack.test.ts (a slice) and scripts/fuzz.ts (the long run).
 */
import fc from 'fast-check';
import { DROP_COUNTERS, ENGINE_DROP_COUNTERS } from '../../src/stack/counters.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { parseIpAddress, type IpAddress } from '../../src/wire/address.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { buildIcmpv4DestinationUnreachable, buildIcmpv4EchoRequest, buildIcmpv4FragmentationNeeded } from '../../src/wire/icmpv4.js';
import { buildIcmpv6PacketTooBig } from '../../src/wire/icmpv6.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ip-protocol.js';
import { buildIpv4Packet } from '../../src/wire/ipv4.js';
import { buildIpv6Packet } from '../../src/wire/ipv6.js';
import { seqAdd } from '../../src/wire/seq.js';
import { buildTcpSegment } from '../../src/wire/tcp.js';
import { buildUdpDatagram } from '../../src/wire/udp.js';

const A4 = parseIpAddress('10.0.0.2') as number;
const B4 = parseIpAddress('10.0.0.1') as number;
const A6 = parseIpAddress('fd00::2') as Uint8Array;
const B6 = parseIpAddress('fd00::1') as Uint8Array;
const OTHER4 = parseIpAddress('10.0.0.9') as number;
const BACKLOG = 8;

export type StackOp =
  | { kind: 'exchange' }
  | { kind: 'advance'; ms: number }
  | {
      kind: 'forged';
      v6: boolean;
      target: 'connection' | 'listener' | 'nobody';
      spoofSrc: boolean;
      seqNear: boolean;
      seqDelta: number;
      ackDelta: number;
      flags: number;
      window: number;
      options: Uint8Array;
      payloadLength: number;
      reserved: number;
      urgent: number;
    }
  | { kind: 'mutated'; pick: number; edits: readonly Edit[]; fixChecksums: boolean }
  | { kind: 'randomBytes'; bytes: Uint8Array }
  | { kind: 'icmp'; v6: boolean; type: 'echo' | 'unreachable' | 'frag-needed' | 'too-big' | 'udp'; mtu: number; quoteDelta: number };

type Edit = { at: number; op: 'flip'; bit: number } | { at: number; op: 'set'; value: number } | { at: number; op: 'cut' } | { at: number; op: 'append'; bytes: Uint8Array };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant('flip' as const), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ at: fc.nat(), op: fc.constant('set' as const), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ at: fc.nat(), op: fc.constant('cut' as const) }),
  fc.record({ at: fc.nat(), op: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
);

const delta = fc.oneof(fc.constantFrom(0, 1, -1, 1448, -1448, 65535), fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

export const stackOpArb: fc.Arbitrary<StackOp> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'exchange' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 300_000 })) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('forged' as const),
      v6: fc.boolean(),
      target: fc.constantFrom('connection' as const, 'listener' as const, 'nobody' as const),
      spoofSrc: fc.boolean(),
      seqNear: fc.boolean(),
      seqDelta: delta,
      ackDelta: delta,
      flags: fc.oneof(fc.constantFrom(0x02, 0x10, 0x18, 0x11, 0x04, 0x14, 0x12, 0x01, 0x00, 0xff), fc.integer({ min: 0, max: 255 })),
      window: fc.integer({ min: 0, max: 0xffff }),
      options: fc.oneof(
        fc.constant(new Uint8Array(0)),
        fc.uint8Array({ maxLength: 40 }),
        // Plausible options with odd lengths and values: MSS 0, wscale 255, SACK blocks anywhere.
        fc.constantFrom(
          Uint8Array.of(2, 4, 0, 0),
          Uint8Array.of(3, 3, 255, 1),
          Uint8Array.of(4, 2, 1, 1),
          Uint8Array.of(8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1),
          Uint8Array.of(5, 10, 0, 0, 0, 0, 255, 255, 255, 255, 1, 1),
          Uint8Array.of(5, 2, 1, 1),
          Uint8Array.of(2, 1, 1, 1),
          Uint8Array.of(8, 255, 0, 0),
        ),
      ),
      payloadLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1460 })),
      reserved: fc.integer({ min: 0, max: 15 }),
      urgent: fc.integer({ min: 0, max: 0xffff }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('mutated' as const), pick: fc.nat(), edits: fc.array(editArb, { minLength: 1, maxLength: 4 }), fixChecksums: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('randomBytes' as const), bytes: fc.uint8Array({ maxLength: 120 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('icmp' as const),
      v6: fc.boolean(),
      type: fc.constantFrom('echo' as const, 'unreachable' as const, 'frag-needed' as const, 'too-big' as const, 'udp' as const),
      mtu: fc.oneof(fc.constantFrom(0, 68, 576, 1280, 1500), fc.integer({ min: 0, max: 0xffff })),
      quoteDelta: delta,
    }),
  },
);

class InvariantError extends Error {}

function check(condition: boolean, what: string): void {
  if (!condition) throw new InvariantError(what);
}

const RECEIVE = ['IpInReceives', 'Ip6InReceives'] as const;
const DELIVER = ['IpInDelivers', 'Ip6InDelivers'] as const;
const NOT_OURS = ['IpInAddrErrors', 'Ip6InAddrErrors'] as const;
const L4 = ['TcpInSegs', 'IcmpInMsgs', 'Icmp6InMsgs', 'UdpNoPorts', 'UdpInDatagrams'] as const;

interface World {
  a: Stack;
  b: Stack;
  now: number;
  /** Packets B sent to A lately (the corpus of the 'mutated' op). */
  recent: Uint8Array[];
  /** A's side of the two connections. */
  conns: TcpEndpoint[];
}

/** A and B back to back, with one IPv4 and one IPv6 connection carrying data. */
function world(): World {
  const secret = new Uint8Array(16).fill(3);
  const a = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], secret, somaxconn: BACKLOG });
  const b = new Stack({ addresses: ['10.0.0.1', 'fd00::1'], secret: new Uint8Array(16).fill(4) });
  a.listen({ port: 80, backlog: BACKLOG });
  a.listen({ port: 80, family: 6, backlog: BACKLOG });
  const w: World = { a, b, now: 0, recent: [], conns: [] };
  const e4 = b.connect({ host: '10.0.0.2', port: 80 }, 0);
  const e6 = b.connect({ host: 'fd00::2', port: 80 }, 0);
  pump(w);
  for (const l of a.tcp.listeners.values()) {
    for (let ep = a.tcp.accept(l); ep; ep = a.tcp.accept(l)) w.conns.push(ep);
  }
  for (const ep of [e4, e6]) {
    ep.connection.write(new Uint8Array(20_000).fill(0x42), w.now);
    b.tcp.afterUserCall(ep);
  }
  return w;
}

/** Move packets between A and B until neither has anything to send (bounded). */
function pump(w: World): void {
  for (let round = 0; round < 200; round++) {
    const fromB = w.b.takeOutput();
    const fromA = w.a.takeOutput();
    if (fromA.length === 0 && fromB.length === 0) return;
    for (const p of fromB) {
      w.recent.push(p);
      if (w.recent.length > 32) w.recent.shift();
      w.a.input(p, w.now);
    }
    for (const p of fromA) w.b.input(p, w.now);
    // A reads what arrived, so windows keep opening.
    for (const ep of w.conns) {
      if (ep.connection.readable > 0) {
        ep.connection.read(undefined, w.now);
        w.a.tcp.afterUserCall(ep);
      }
    }
  }
}

function advance(w: World, ms: number): void {
  const target = w.now + ms;
  for (let guard = 0; guard < 10_000; guard++) {
    const next = [w.a.nextDeadline(), w.b.nextDeadline()].filter((d): d is number => d !== undefined).reduce((x, y) => Math.min(x, y), Infinity);
    if (next > target) break;
    w.now = Math.max(w.now, next);
    w.a.poll(w.now);
    w.b.poll(w.now);
    pump(w);
  }
  w.now = target;
}

function ip(v6: boolean, src: IpAddress, dst: IpAddress, protocol: number, payload: Uint8Array): Uint8Array {
  if (v6) return buildIpv6Packet({ protocol, src: src as Uint8Array, dst: dst as Uint8Array }, payload);
  return buildIpv4Packet({ protocol, src: src as number, dst: dst as number }, payload);
}

function forged(w: World, op: Extract<StackOp, { kind: 'forged' }>): Uint8Array {
  const conn = w.conns.find((ep) => (typeof ep.local.address === 'number') !== op.v6);
  const ours = op.v6 ? A6 : A4;
  let src: IpAddress = op.v6 ? B6 : B4;
  if (op.spoofSrc) src = op.v6 ? parseIpAddress(`fd00::${(op.window % 200) + 3}`)! : (OTHER4 + (op.window % 200)) >>> 0;
  let srcPort = 40000 + (op.window % 1000);
  let dstPort = 80;
  let seq = op.seqDelta >>> 0;
  let ack = op.ackDelta >>> 0;
  if (op.target === 'connection' && conn) {
    srcPort = conn.remote.port;
    dstPort = conn.local.port;
    if (op.seqNear) {
      seq = seqAdd(conn.connection.rcvNxt, op.seqDelta);
      ack = seqAdd(conn.connection.sndUna, op.ackDelta);
    }
  } else if (op.target === 'nobody') {
    dstPort = 1 + (op.urgent % 60000);
  }
  const payload = new Uint8Array(op.payloadLength).fill(0x5a);
  // Raw options are padded to a multiple of 4 (the Data Offset counts 32-bit words).
  const options = new Uint8Array(Math.ceil(op.options.length / 4) * 4);
  options.set(op.options);
  const tcp = buildTcpSegment({ srcPort, dstPort, seq, ack, flags: op.flags, window: op.window, options, payload, reserved: op.reserved, urgentPointer: op.urgent }, src, ours);
  return ip(op.v6, src, ours, IPPROTO_TCP, tcp);
}

function applyEdits(packet: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let bytes = packet.slice();
  for (const e of edits) {
    if (bytes.length === 0 && e.op !== 'append') continue;
    const at = e.at % Math.max(1, bytes.length);
    if (e.op === 'flip') bytes[at]! ^= 1 << e.bit;
    else if (e.op === 'set') bytes[at] = e.value;
    else if (e.op === 'cut') bytes = bytes.slice(0, at);
    else {
      const grown = new Uint8Array(bytes.length + e.bytes.length);
      grown.set(bytes);
      grown.set(e.bytes, bytes.length);
      bytes = grown;
    }
  }
  return bytes;
}

/** Recompute the IPv4 header checksum and the TCP/UDP/ICMP checksum, when the headers still
 *  say where they are: a mutated packet then reaches the layer above instead of dying early. */
function fixChecksums(p: Uint8Array): void {
  if (p.length < 20) return;
  const version = p[0]! >>> 4;
  let l4Start: number;
  let protocol: number;
  let src: IpAddress;
  let dst: IpAddress;
  let end = p.length;
  if (version === 4) {
    const ihl = (p[0]! & 0x0f) * 4;
    if (ihl < 20 || ihl > p.length) return;
    p[10] = 0;
    p[11] = 0;
    const sum = internetChecksum(p, 0, ihl);
    p[10] = sum >>> 8;
    p[11] = sum & 0xff;
    const total = (p[2]! << 8) | p[3]!;
    if (total >= ihl && total <= p.length) end = total;
    l4Start = ihl;
    protocol = p[9]!;
    src = ((p[12]! << 24) | (p[13]! << 16) | (p[14]! << 8) | p[15]!) >>> 0;
    dst = ((p[16]! << 24) | (p[17]! << 16) | (p[18]! << 8) | p[19]!) >>> 0;
  } else if (version === 6) {
    if (p.length < 40) return;
    l4Start = 40;
    protocol = p[6]!;
    const payloadLength = (p[4]! << 8) | p[5]!;
    if (40 + payloadLength <= p.length) end = 40 + payloadLength;
    src = p.slice(8, 24);
    dst = p.slice(24, 40);
  } else {
    return;
  }
  const length = end - l4Start;
  const at = protocol === IPPROTO_TCP ? 16 : protocol === IPPROTO_UDP ? 6 : protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6 ? 2 : -1;
  if (at < 0 || length < at + 2) return;
  p[l4Start + at] = 0;
  p[l4Start + at + 1] = 0;
  const pseudo = protocol === IPPROTO_ICMP ? 0 : pseudoHeaderSum(src, dst, protocol, length);
  const sum = internetChecksum(p, l4Start, end, pseudo);
  p[l4Start + at] = sum >>> 8;
  p[l4Start + at + 1] = sum & 0xff;
}

function icmp(w: World, op: Extract<StackOp, { kind: 'icmp' }>): Uint8Array {
  const conn = w.conns.find((ep) => (typeof ep.local.address === 'number') !== op.v6);
  // The packet an ICMP error quotes: one of ours, its sequence number near or far from SND.UNA.
  const quoted = conn
    ? ip(op.v6, conn.local.address, conn.remote.address, IPPROTO_TCP, buildTcpSegment({ srcPort: conn.local.port, dstPort: conn.remote.port, seq: seqAdd(conn.connection.sndUna, op.quoteDelta), ack: 0, flags: 0x10, window: 0 }, conn.local.address, conn.remote.address))
    : new Uint8Array(28);
  if (op.v6) {
    if (op.type === 'too-big' || op.type === 'frag-needed' || op.type === 'unreachable') return ip(true, B6, A6, IPPROTO_ICMPV6, buildIcmpv6PacketTooBig(op.mtu, quoted, B6, A6));
    return ip(true, B6, A6, IPPROTO_UDP, buildUdpDatagram({ srcPort: 5353, dstPort: 9, payload: new Uint8Array(8) }, B6, A6));
  }
  switch (op.type) {
    case 'echo':
      return ip(false, B4, A4, IPPROTO_ICMP, buildIcmpv4EchoRequest(1, op.mtu, new Uint8Array(16)));
    case 'unreachable':
      return ip(false, B4, A4, IPPROTO_ICMP, buildIcmpv4DestinationUnreachable(op.mtu % 16, quoted));
    case 'frag-needed':
    case 'too-big':
      return ip(false, B4, A4, IPPROTO_ICMP, buildIcmpv4FragmentationNeeded(quoted, op.mtu));
    case 'udp':
      return ip(false, B4, A4, IPPROTO_UDP, buildUdpDatagram({ srcPort: 5353, dstPort: 9, payload: new Uint8Array(8) }, B4, A4));
  }
}

function counters(a: Stack): Record<string, number> {
  return a.counters.snapshot();
}

function total(c: Record<string, number>, names: readonly string[]): number {
  let n = 0;
  for (const name of names) n += c[name] ?? 0;
  return n;
}

/** Packets the parsers refused, by reason (segments the engines drop later were delivered). */
const PARSE_DROPS = DROP_COUNTERS.filter((name) => !(ENGINE_DROP_COUNTERS as readonly string[]).includes(name));

function drops(c: Record<string, number>): number {
  let n = 0;
  for (const name of PARSE_DROPS) n += c[name] ?? 0;
  return n;
}

/** Feed one packet to A and check what it did. */
function feed(w: World, packet: Uint8Array): void {
  const before = counters(w.a);
  w.a.input(packet, w.now);
  const after = counters(w.a);
  const d = (names: readonly string[]) => total(after, names) - total(before, names);
  check(d(RECEIVE) === 1, `one packet counted as ${d(RECEIVE)} received`);
  const dropped = drops(after) - drops(before);
  check(d(DELIVER) + d(NOT_OURS) + dropped === 1, `one packet counted ${d(DELIVER)} delivered, ${d(NOT_OURS)} not ours, ${dropped} dropped`);
  check(d(L4) === d(DELIVER), `${d(DELIVER)} delivered but ${d(L4)} reached a protocol`);
  // What one packet makes A send: at most a window of data (the ACK of a window opening).
  const out = w.a.takeOutput();
  check(out.length <= 128, `one packet made the stack send ${out.length} packets`);
  for (const p of out) w.b.input(p, w.now);
  // Half-open and waiting connections stay within what the listeners' queues allow.
  const limit = w.conns.length + 2 * (BACKLOG + BACKLOG + 1) + 16;
  check(w.a.tcp.connections.size <= limit, `${w.a.tcp.connections.size} connections (limit ${limit})`);
  for (const l of w.a.tcp.listeners.values()) check(l.synQueue.size <= BACKLOG && l.acceptQueue.length <= BACKLOG + 1, 'a listener queue overflowed');
}

export function runStackCase(ops: readonly StackOp[]): void {
  const w = world();
  for (const op of ops) {
    switch (op.kind) {
      case 'exchange':
        pump(w);
        break;
      case 'advance':
        advance(w, op.ms);
        break;
      case 'forged':
        feed(w, forged(w, op));
        break;
      case 'mutated': {
        const base = w.recent.length > 0 ? w.recent[op.pick % w.recent.length]! : new Uint8Array(40);
        const p = applyEdits(base, op.edits);
        if (op.fixChecksums) fixChecksums(p);
        feed(w, p);
        break;
      }
      case 'randomBytes':
        feed(w, op.bytes);
        break;
      case 'icmp':
        feed(w, icmp(w, op));
        break;
    }
  }
  advance(w, 400_000);
}

export const stackProperty = (maxOps = 30) => fc.property(fc.array(stackOpArb, { maxLength: maxOps }), runStackCase);

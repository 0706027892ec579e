// Attacks on a connection between the kernel and tcplab, over a real TUN device: packets forged
// and written onto the device from the kernel's side of the namespace (an AF_PACKET socket,
// scripts/lib/packet-injector.ts), as an off-path attacker's or a broken host's would arrive.
//
// - RFC 5961 blind injection with guessed sequence numbers: in-window RSTs and SYNs get a
//   challenge ACK instead of killing the connection, at most one per 500 ms (counted in
//   TcpExtTCPChallengeACK); out-of-window RSTs are dropped silently; data whose ACK lies outside
//   what was ever sent is discarded.
// - RFC 7323 PAWS: a segment with an old timestamp is dropped and counted (TcpExtPAWSEstab);
//   out-of-window data is dropped.
// - Malformed packets (bad lengths, bad checksums, truncated headers, bad options, garbage) are
//   counted under their reason and dropped.
// After each, the connection still carries the kernel's stream byte for byte, and the stack
// still accepts new connections.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelPeer, type PeerSocket } from '../../src/lab/kernel-peer.js';
import { patternSha256 } from '../../src/lab/pattern.js';
import { TunLink } from '../../src/link/tun-link.js';
import { createStack, type NetStack } from '../../src/net/net-stack.js';
import type { Socket } from '../../src/net/socket.js';
import { DROP_COUNTERS, dropCounterName, ENGINE_DROP_COUNTERS, type CounterName } from '../../src/stack/counters.js';
import type { Connection } from '../../src/tcp/connection.js';
import { parseIpAddress } from '../../src/wire/address.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { buildIcmpv4EchoRequest } from '../../src/wire/icmpv4.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ip-protocol.js';
import { buildIpv4Packet } from '../../src/wire/ipv4.js';
import { buildIpv6Packet } from '../../src/wire/ipv6.js';
import type { ParseFailure, WireLayer } from '../../src/wire/parse-failure.js';
import { seqAdd } from '../../src/wire/seq.js';
import { linuxTcpOptions } from '../../src/wire/tcp-options.js';
import { buildTcpSegment } from '../../src/wire/tcp.js';
import { buildUdpDatagram } from '../../src/wire/udp.js';
import { PacketInjector } from '../../scripts/lib/packet-injector.js';
import { describeTun } from './harness.js';

const KERNEL = '10.85.0.1';
const TCPLAB = '10.85.0.2';
const K = parseIpAddress(KERNEL) as number;
const T = parseIpAddress(TCPLAB) as number;
const PORT = 80;

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

describeTun('attacks and malformed packets from the kernel side of the device', (getNs) => {
  let tun: TunLink;
  let net: NetStack;
  let peer: KernelPeer;
  let injector: PacketInjector;
  /** What tcplab's server read on each accepted connection, hashed. */
  const streams = new Map<Socket, { hash: ReturnType<typeof createHash>; bytes: number }>();
  let client: PeerSocket & { local: [string, number] };
  let server: Socket;

  const counter = (name: CounterName) => net.stack.counters.get(name);
  const engineTotals = () => net.stack.tcp.counterTotals();
  const conn = (): Connection => server.endpoint!.connection;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A TCP segment from the kernel's address and port to tcplab's server, checksums right. */
  function forged(f: { seq: number; ack: number; flags: number; payload?: Uint8Array; tsVal?: number; tsEcr?: number; window?: number; options?: Uint8Array }): Uint8Array {
    const options = f.options ?? linuxTcpOptions({ tsVal: f.tsVal, tsEcr: f.tsEcr });
    const tcp = buildTcpSegment({ srcPort: client.local[1], dstPort: PORT, seq: f.seq >>> 0, ack: f.ack >>> 0, flags: f.flags, window: f.window ?? 502, options, payload: f.payload }, K, T);
    return buildIpv4Packet({ protocol: IPPROTO_TCP, src: K, dst: T }, tcp);
  }

  /** The kernel sends `bytes` more of its pattern; tcplab's server must have read exactly the
   *  kernel's whole stream so far, nothing injected in it. */
  async function streamIntact(bytes: number): Promise<void> {
    const s = streams.get(server)!;
    const before = s.bytes;
    await peer.sendPattern(client, bytes, { start: before });
    await until(() => s.bytes >= before + bytes, 20_000);
    expect(s.bytes).toBe(before + bytes);
    expect(s.hash.copy().digest('hex')).toBe(patternSha256(before + bytes));
  }

  async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await sleep(5);
    }
  }

  beforeAll(async () => {
    const ns = getNs();
    tun = TunLink.open({ netns: ns.name, addresses: [`${KERNEL}/24`] });
    net = createStack({ link: tun, addresses: [TCPLAB] });
    net.createServer((s) => {
      const entry = { hash: createHash('sha256'), bytes: 0 };
      streams.set(s, entry);
      s.on('data', (d: Buffer) => {
        entry.hash.update(d);
        entry.bytes += d.length;
      });
      s.on('error', () => undefined);
    }).listen({ port: PORT });
    peer = await KernelPeer.start(ns);
    injector = PacketInjector.open(ns, tun.device.name);
    client = await peer.connect(TCPLAB, PORT, { timeoutSeconds: 10 });
    await until(() => streams.size === 1);
    server = [...streams.keys()][0]!;
    await streamIntact(100_000);
  });

  afterAll(async () => {
    injector?.close();
    await peer?.stop();
    net?.close();
  });

  describe('RFC 5961: blind injection with guessed sequence numbers', () => {
    it('in-window RSTs and SYNs get rate-limited challenge ACKs, out-of-window RSTs are ignored; the stream goes on', async () => {
      await sleep(600); // no challenge ACK in the last 500 ms
      const c = conn();
      const rcvNxt = c.rcvNxt;
      const window = c.rcvWnd;
      const acksBefore = counter('TcpExtTCPChallengeACK');
      const skippedBefore = engineTotals().challengeAcksSkipped;
      const oowBefore = engineTotals().outOfWindow;
      // 200 RSTs with guesses inside the window (never RCV.NXT itself: that one would reset, as
      // RFC 5961 §3.2 allows), 200 outside it, 100 SYNs inside, sent in one burst.
      const inWindowRst = Array.from({ length: 200 }, (_, i) => forged({ seq: seqAdd(rcvNxt, 1 + ((i * 7919) % (window - 1))), ack: 0, flags: TCP_RST }));
      const outOfWindowRst = Array.from({ length: 200 }, (_, i) => forged({ seq: seqAdd(rcvNxt, i % 2 ? window + 1 + i * 1000 : -(1 + i * 1000)), ack: 0, flags: TCP_RST }));
      const syns = Array.from({ length: 100 }, (_, i) => forged({ seq: seqAdd(rcvNxt, (i * 104729) % window), ack: 0, flags: TCP_SYN }));
      const started = Date.now();
      await injector.send([...inWindowRst, ...outOfWindowRst, ...syns]);
      await until(() => engineTotals().outOfWindow - oowBefore >= 200 && counter('TcpExtTCPChallengeACK') + engineTotals().challengeAcksSkipped - acksBefore - skippedBefore >= 300);
      const elapsed = Date.now() - started;
      const challengeAcks = counter('TcpExtTCPChallengeACK') - acksBefore;
      const skipped = engineTotals().challengeAcksSkipped - skippedBefore;
      // Every in-window RST and SYN was answered by a challenge ACK or skipped by the limit;
      // at most one went out per 500 ms of the burst.
      process.stdout.write(`blind injection: 500 forged segments in ${elapsed} ms → ${challengeAcks} challenge ACKs sent, ${skipped} held back by the 500 ms limit, 200 out-of-window RSTs dropped\n`);
      expect(challengeAcks + skipped).toBe(300);
      expect(challengeAcks).toBeGreaterThanOrEqual(1);
      expect(challengeAcks).toBeLessThanOrEqual(1 + Math.floor(elapsed / 500));
      expect(engineTotals().outOfWindow - oowBefore).toBe(200);
      expect(conn().stateName).toBe('ESTABLISHED');
      // After 500 ms quiet, the next in-window RST gets its challenge ACK again.
      await sleep(600);
      await injector.send([forged({ seq: seqAdd(conn().rcvNxt, 5000), ack: 0, flags: TCP_RST })]);
      await until(() => counter('TcpExtTCPChallengeACK') - acksBefore === challengeAcks + 1);
      await streamIntact(300_000);
      expect(conn().stateName).toBe('ESTABLISHED');
    });

    it('data with a guessed, unacceptable ACK is discarded (RFC 5961 §5.2), never delivered', async () => {
      const c = conn();
      const before = streams.get(server)!.bytes;
      const rangeBefore = engineTotals().ackOutOfRange;
      const junk = new Uint8Array(500).fill(0x41);
      // In-window sequence numbers, ACKs beyond SND.NXT or far below SND.UNA − MAX.SND.WND.
      const packets = Array.from({ length: 100 }, (_, i) =>
        forged({ seq: seqAdd(c.rcvNxt, i * 500), ack: seqAdd(c.sndNxt, i % 2 ? 1_000_000 + i : -1_000_000_000 - i), flags: TCP_ACK | TCP_PSH, payload: junk, tsVal: c.tsRecent + 1, tsEcr: 0 }),
      );
      await injector.send(packets);
      await until(() => engineTotals().ackOutOfRange - rangeBefore === 100);
      expect(streams.get(server)!.bytes).toBe(before);
      await streamIntact(200_000);
    });
  });

  describe('RFC 7323 PAWS and the window', () => {
    it('segments with an old timestamp are dropped and counted (TcpExtPAWSEstab); out-of-window data is dropped', async () => {
      const c = conn();
      const before = streams.get(server)!.bytes;
      const pawsBefore = counter('TcpExtPAWSEstab');
      const oowBefore = engineTotals().outOfWindow;
      const junk = new Uint8Array(300).fill(0x42);
      // Right sequence and ACK numbers, but a TSval from long ago: an old duplicate.
      const old = Array.from({ length: 50 }, (_, i) => forged({ seq: c.rcvNxt, ack: c.sndNxt, flags: TCP_ACK | TCP_PSH, payload: junk, tsVal: (c.tsRecent - 100_000 - i) >>> 0, tsEcr: 0 }));
      // A current timestamp but sequence numbers past the window.
      const beyond = Array.from({ length: 50 }, (_, i) => forged({ seq: seqAdd(c.rcvNxt, c.rcvWnd + 10_000 + i * 1000), ack: c.sndNxt, flags: TCP_ACK | TCP_PSH, payload: junk, tsVal: c.tsRecent, tsEcr: 0 }));
      await injector.send([...old, ...beyond]);
      await until(() => counter('TcpExtPAWSEstab') - pawsBefore === 50 && engineTotals().outOfWindow - oowBefore === 50);
      expect(streams.get(server)!.bytes).toBe(before);
      await streamIntact(200_000);
    });
  });

  describe('malformed packets', () => {
    /** A valid packet to tcplab; each case below breaks one thing in it. */
    const tcpTo = (flags = TCP_ACK, options?: Uint8Array) => buildIpv4Packet({ protocol: IPPROTO_TCP, src: K, dst: T }, buildTcpSegment({ srcPort: 40000, dstPort: 9, seq: 1, ack: 1, flags, window: 100, options }, K, T));
    const udpTo = () => buildIpv4Packet({ protocol: IPPROTO_UDP, src: K, dst: T }, buildUdpDatagram({ srcPort: 5353, dstPort: 9, payload: new Uint8Array(20) }, K, T));
    const pingTo = () => buildIpv4Packet({ protocol: IPPROTO_ICMP, src: K, dst: T }, buildIcmpv4EchoRequest(7, 1, new Uint8Array(16)));
    const fixIpChecksum = (p: Uint8Array): Uint8Array => {
      const ihl = (p[0]! & 0x0f) * 4;
      p[10] = 0;
      p[11] = 0;
      const sum = internetChecksum(p, 0, Math.min(ihl, p.length));
      p[10] = sum >>> 8;
      p[11] = sum & 0xff;
      return p;
    };
    const edit = (p: Uint8Array, at: number, value: number, fix = true): Uint8Array => {
      const q = p.slice();
      q[at] = value;
      return fix ? fixIpChecksum(q) : q;
    };

    const CASES: { name: string; packet: () => Uint8Array; layer: WireLayer; reason: ParseFailure }[] = [
      { name: 'one byte', packet: () => Uint8Array.of(0x45), layer: 'ipv4', reason: 'truncated' },
      { name: 'IPv4 header cut at 12 bytes', packet: () => tcpTo().slice(0, 12), layer: 'ipv4', reason: 'truncated' },
      { name: 'version 5', packet: () => edit(tcpTo(), 0, 0x55), layer: 'ip', reason: 'bad-version' },
      { name: 'garbage', packet: () => Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0x0f), layer: 'ip', reason: 'bad-version' },
      { name: 'IHL 4', packet: () => edit(tcpTo(), 0, 0x44), layer: 'ipv4', reason: 'bad-header-length' },
      { name: 'total length past the bytes', packet: () => edit(tcpTo(), 2, 0x10), layer: 'ipv4', reason: 'truncated' },
      { name: 'total length shorter than the header', packet: () => edit(edit(tcpTo(), 2, 0), 3, 12), layer: 'ipv4', reason: 'bad-total-length' },
      { name: 'bad IPv4 header checksum', packet: () => edit(tcpTo(), 10, (tcpTo()[10]! + 1) & 0xff, false), layer: 'ipv4', reason: 'bad-checksum' },
      {
        name: 'IPv4 option with length 0',
        packet: () => fixIpChecksum(buildIpv4Packet({ protocol: IPPROTO_TCP, src: K, dst: T, options: Uint8Array.of(7, 0, 0, 0) }, buildTcpSegment({ srcPort: 1, dstPort: 9, seq: 1, flags: TCP_SYN, window: 1 }, K, T))),
        layer: 'ipv4',
        reason: 'bad-option-length',
      },
      { name: 'a fragment', packet: () => edit(tcpTo(), 6, 0x20), layer: 'ipv4', reason: 'fragment' },
      { name: 'unknown protocol', packet: () => edit(tcpTo(), 9, 99), layer: 'ipv4', reason: 'unknown-protocol' },
      { name: 'TCP header cut at 10 bytes', packet: () => buildIpv4Packet({ protocol: IPPROTO_TCP, src: K, dst: T }, new Uint8Array(10)), layer: 'tcp', reason: 'truncated' },
      { name: 'TCP data offset 4', packet: () => edit(tcpTo(), 20 + 12, 0x40), layer: 'tcp', reason: 'bad-data-offset' },
      { name: 'TCP data offset past the segment', packet: () => edit(tcpTo(), 20 + 12, 0xf0), layer: 'tcp', reason: 'bad-data-offset' },
      { name: 'bad TCP checksum', packet: () => edit(tcpTo(), 20 + 16, (tcpTo()[36]! + 1) & 0xff), layer: 'tcp', reason: 'bad-checksum' },
      { name: 'UDP length past the datagram', packet: () => edit(udpTo(), 20 + 4, 0x10), layer: 'udp', reason: 'bad-length' },
      { name: 'bad UDP checksum', packet: () => edit(udpTo(), 20 + 6, (udpTo()[26]! + 1) & 0xff), layer: 'udp', reason: 'bad-checksum' },
      { name: 'bad ICMP checksum', packet: () => edit(pingTo(), 20 + 2, (pingTo()[22]! + 1) & 0xff), layer: 'icmpv4', reason: 'bad-checksum' },
      {
        name: 'IPv6 header cut at 30 bytes',
        packet: () => buildIpv6Packet({ protocol: IPPROTO_UDP, src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2) }, new Uint8Array(8)).slice(0, 30),
        layer: 'ipv6',
        reason: 'truncated',
      },
    ];
    const COPIES = 20;

    it(`each kind, ${COPIES} times, is counted under its reason and dropped; the stack keeps serving`, async () => {
      const before = Object.fromEntries(CASES.map((c) => [dropCounterName(c.layer, c.reason), counter(dropCounterName(c.layer, c.reason))]));
      const allBefore = totalDrops();
      const packets = CASES.flatMap((c) => Array.from({ length: COPIES }, () => c.packet()));
      await injector.send(packets);
      const expected = new Map<string, number>();
      for (const c of CASES) expected.set(dropCounterName(c.layer, c.reason), (expected.get(dropCounterName(c.layer, c.reason)) ?? 0) + COPIES);
      await until(() => totalDrops() - allBefore >= packets.length);
      for (const [name, n] of expected) expect(`${name} +${counter(name as CounterName) - before[name]!}`).toBe(`${name} +${n}`);
      process.stdout.write(`malformed: ${packets.length} packets of ${CASES.length} kinds, ${totalDrops() - allBefore} dropped under ${expected.size} reasons\n`);
      expect(totalDrops() - allBefore).toBe(packets.length);
      // Still serving: the stream goes on, and a new connection opens and carries data.
      await streamIntact(100_000);
      const second = await peer.connect(TCPLAB, PORT, { timeoutSeconds: 10 });
      await peer.send(second, 'after the storm');
      await until(() => [...streams.values()].some((s) => s.bytes === 'after the storm'.length));
      await peer.close(second);
    });

    it('malformed TCP options are not a reason to drop (Linux tcp_parse_options stops reading): the segment is processed, the connection unharmed', async () => {
      const c = conn();
      const inSegs = counter('TcpInSegs');
      const drops = totalDrops();
      // Option lengths of 0 and 1, and an option running past the header.
      const bad = [Uint8Array.of(2, 0, 5, 0xb4), Uint8Array.of(8, 1, 0, 0), Uint8Array.of(1, 1, 5, 40, 0, 0, 0, 0)];
      await injector.send(bad.map((options) => forged({ seq: c.rcvNxt, ack: c.sndNxt, flags: TCP_ACK, options })));
      await until(() => counter('TcpInSegs') - inSegs >= 3);
      expect(totalDrops()).toBe(drops);
      await streamIntact(100_000);
      expect(conn().stateName).toBe('ESTABLISHED');
    });

    /** Packets the parsers refused (not the engines' drops of segments that parsed). */
    function totalDrops(): number {
      const all = net.stack.counters.snapshot();
      let n = 0;
      for (const name of DROP_COUNTERS) if (!(ENGINE_DROP_COUNTERS as readonly string[]).includes(name)) n += all[name] ?? 0;
      return n;
    }
  });

  it('the kernel saw nothing wrong: its connection is still established and closes cleanly', async () => {
    await peer.shutdown(client, 'wr');
    await until(() => conn().peerClosed);
    server.end();
    expect((await peer.recv(client, 10, 10)).eof).toBe(true);
  });
});

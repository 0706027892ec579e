// Real packets from Linux 6.x, captured with tcpdump by test/fixtures/capture-linux.sh
// (three namespaces A - R - B, offloads off so checksums are complete). Each is decoded,
// compared with what tcpdump itself read from the same file, and rebuilt byte for byte.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcap } from '../../../src/link/pcap-reader.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  ICMP_DEST_UNREACHABLE,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_PORT_UNREACHABLE,
  ICMP_TIME_EXCEEDED,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PORT_UNREACHABLE,
  ICMPV6_TIME_EXCEEDED,
  IPPROTO_HOPOPTS,
  IPPROTO_FRAGMENT,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
  buildIcmpv4Message,
  buildIcmpv6Message,
  buildIpv4Packet,
  buildIpv6Packet,
  buildTcpSegment,
  decodeTcpOptions,
  formatIpAddress,
  formatPacket,
  parseInvokingPacket,
  parseIpv4,
  parseIpv4Options,
  ipv4Route,
  parseIpv6,
  parsePacket,
  type Packet,
} from '../../../src/wire/index.js';

const DIR = join(import.meta.dirname, '../../fixtures/linux');

function load(name: string): { packets: Uint8Array[]; tcpdump: string[] } {
  const pcap = readPcap(readFileSync(join(DIR, `${name}.pcap`)));
  const packets = pcap.records.map((r) => r.ip).filter((p): p is Uint8Array => p !== undefined);
  const tcpdump = readFileSync(join(DIR, `${name}.tcpdump.txt`), 'utf8').trimEnd().split('\n');
  return { packets, tcpdump };
}

function ok(bytes: Uint8Array): Packet {
  const parsed = parsePacket(bytes);
  if (!parsed.ok) throw new Error(`refused: ${parsed.layer} ${parsed.reason}`);
  return parsed;
}

/** Rebuild the packet from its parsed fields with the wire builders: the bytes must match. */
function rebuild(bytes: Uint8Array): Uint8Array {
  const version = bytes[0] >>> 4;
  const ip = version === 4 ? parseIpv4(bytes) : parseIpv6(bytes);
  if (!ip.ok) throw new Error(`refused: ${ip.reason}`);
  let payload = ip.payload;
  if (!ip.isFragment && ip.protocol === IPPROTO_TCP) {
    const seg = ok(bytes).l4;
    if (seg.protocol !== IPPROTO_TCP) throw new Error('not TCP');
    payload = buildTcpSegment({ ...seg, options: seg.options }, ip.src, ip.dst);
  } else if (!ip.isFragment && ip.protocol === IPPROTO_ICMP) {
    const m = ok(bytes).l4;
    if (m.protocol !== IPPROTO_ICMP) throw new Error('not ICMP');
    payload = buildIcmpv4Message({ type: m.type, code: m.code, rest: m.rest, body: m.body });
  } else if (!ip.isFragment && ip.protocol === IPPROTO_ICMPV6 && ip.version === 6) {
    const m = ok(bytes).l4;
    if (m.protocol !== IPPROTO_ICMPV6) throw new Error('not ICMPv6');
    payload = buildIcmpv6Message({ type: m.type, code: m.code, rest: m.rest, body: m.body }, ip.src, ip.dst);
  }
  if (ip.version === 4) {
    return buildIpv4Packet({ ...ip, options: ip.options }, payload);
  }
  return buildIpv6Packet(
    { ...ip, extensionHeaders: ip.extensionHeaders.map((h) => ({ type: h.type, body: h.body })) },
    payload,
  );
}

const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.pcap'))
  .map((f) => f.slice(0, -'.pcap'.length))
  .sort();

describe('Linux packets from test/fixtures/linux', () => {
  it('has every recorded capture', () => {
    expect(FIXTURES).toEqual([
      'icmp4-echo-rr',
      'icmp4-frag-needed',
      'icmp4-port-unreachable',
      'icmp4-time-exceeded',
      'icmp6-echo',
      'icmp6-packet-too-big',
      'icmp6-port-unreachable',
      'icmp6-time-exceeded',
      'ipv4-fragments',
      'ipv6-fragments',
      'mld-hop-by-hop',
      'tcp4-rst',
      'tcp4-session',
      'tcp6-session',
    ]);
  });

  describe.each(FIXTURES)('%s', (name) => {
    const { packets, tcpdump } = load(name);

    it('holds as many IP packets as tcpdump read', () => {
      expect(packets.length).toBe(tcpdump.length);
      expect(packets.length).toBeGreaterThan(0);
    });

    it('rebuilds every packet byte for byte from its parsed fields', () => {
      for (const bytes of packets) expect(Buffer.from(rebuild(bytes)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
    });

    it('prints TCP segments exactly as tcpdump -nn -S does', () => {
      packets.forEach((bytes, i) => {
        const parsed = parsePacket(bytes);
        if (parsed.ok && parsed.l4.protocol === IPPROTO_TCP) {
          // tcpdump adds a protocol guess after `length N` for port 8080 (": HTTP"); ours does not.
          expect(formatPacket(parsed)).toBe(tcpdump[i].replace(/: HTTP$/, ''));
        }
      });
    });
  });

  it('reads the SYN of a stock Linux client at MTU 1500: win 64240 <mss 1460,sackOK,TS,nop,wscale 7>', () => {
    const syn = ok(load('tcp4-session').packets.find((p) => {
      const r = parsePacket(p);
      return r.ok && r.l4.protocol === IPPROTO_TCP && r.l4.flags === TCP_SYN;
    })!);
    const seg = syn.l4;
    if (seg.protocol !== IPPROTO_TCP) throw new Error('not TCP');
    expect(seg.window).toBe(64240);
    expect(seg.mss).toBe(1460);
    expect(seg.sackPermitted).toBe(true);
    expect(seg.tsVal).toBeGreaterThan(0);
    expect(seg.tsEcr).toBe(0);
    expect(seg.windowScale).toBe(7);
    expect(decodeTcpOptions(seg.options).options.map((o) => o.kind)).toEqual(['mss', 'sack-permitted', 'timestamps', 'nop', 'window-scale']);
    expect(seg.options.length).toBe(20);
  });

  it('reads the RST,ACK Linux sends for a closed port', () => {
    const [syn, rst] = load('tcp4-rst').packets.map(ok);
    if (syn.l4.protocol !== IPPROTO_TCP || rst.l4.protocol !== IPPROTO_TCP) throw new Error('not TCP');
    expect(rst.l4.flags).toBe(TCP_RST | TCP_ACK);
    expect(rst.l4.seq).toBe(0);
    expect(rst.l4.ack).toBe((syn.l4.seq + 1) >>> 0);
    expect(rst.l4.window).toBe(0);
    expect(rst.l4.options.length).toBe(0);
  });

  it('reads the Record Route option of ping -R', () => {
    const [request, reply] = load('icmp4-echo-rr').packets.map(ok);
    const options = parseIpv4Options(reply.ip.version === 4 ? reply.ip.options : new Uint8Array());
    if (!options.ok) throw new Error(options.reason);
    const rr = options.options.map(ipv4Route).find((r) => r !== undefined);
    expect(rr?.recorded.map(formatIpAddress)).toEqual(['10.200.1.2', '10.200.2.1', '10.200.2.2', '10.200.2.2', '10.200.1.1']);
    expect(rr?.remaining.length).toBe(4);
    expect(request.ip.version === 4 && request.ip.options.length).toBe(40);
  });

  it.each([
    ['icmp4-port-unreachable', 4, ICMP_DEST_UNREACHABLE, ICMP_PORT_UNREACHABLE, 17],
    ['icmp4-frag-needed', 4, ICMP_DEST_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED, 1],
    ['icmp4-time-exceeded', 4, ICMP_TIME_EXCEEDED, 0, 1],
    ['icmp6-port-unreachable', 6, ICMPV6_DEST_UNREACHABLE, ICMPV6_PORT_UNREACHABLE, 17],
    ['icmp6-packet-too-big', 6, ICMPV6_PACKET_TOO_BIG, 0, 58],
    ['icmp6-time-exceeded', 6, ICMPV6_TIME_EXCEEDED, 0, 58],
  ] as const)('reads the error in %s and the packet it quotes', (name, family, type, code, quotedProtocol) => {
    const [original, error] = load(name).packets.map(ok);
    const m = error.l4;
    if (m.protocol !== IPPROTO_ICMP && m.protocol !== IPPROTO_ICMPV6) throw new Error('not ICMP');
    expect([m.type, m.code]).toEqual([type, code]);
    const quoted = parseInvokingPacket(m.body, family);
    if (!quoted.ok) throw new Error(quoted.reason);
    expect(quoted.protocol).toBe(quotedProtocol);
    expect(formatIpAddress(quoted.src)).toBe(formatIpAddress(original.ip.src));
    expect(formatIpAddress(quoted.dst)).toBe(formatIpAddress(original.ip.dst));
    if (name === 'icmp4-frag-needed' && m.protocol === IPPROTO_ICMP) expect(m.nextHopMtu).toBe(1300);
    if (name === 'icmp6-packet-too-big' && m.protocol === IPPROTO_ICMPV6) expect(m.mtu).toBe(1300);
  });

  it('counts fragments as fragments (tcplab does not reassemble)', () => {
    for (const name of ['ipv4-fragments', 'ipv6-fragments']) {
      const results = load(name).packets.map((p) => parsePacket(p));
      expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(Array(6).fill('fragment'));
    }
    const first = parseIpv6(load('ipv6-fragments').packets[0]);
    if (!first.ok) throw new Error(first.reason);
    expect(first.extensionHeaders.map((h) => h.type)).toEqual([IPPROTO_FRAGMENT]);
    expect(first.fragment?.moreFragments).toBe(true);
    expect(first.protocol).toBe(IPPROTO_ICMPV6);
  });

  it('walks the Hop-by-Hop header of an MLD report to ICMPv6', () => {
    const [mld] = load('mld-hop-by-hop').packets.map(ok);
    if (mld.ip.version !== 6) throw new Error('not IPv6');
    expect(mld.ip.nextHeader).toBe(IPPROTO_HOPOPTS);
    expect(mld.ip.extensionHeaders.map((h) => h.type)).toEqual([IPPROTO_HOPOPTS]);
    expect(mld.l4.protocol).toBe(IPPROTO_ICMPV6);
    expect(mld.l4.protocol === IPPROTO_ICMPV6 && mld.l4.type).toBe(143);
  });
});

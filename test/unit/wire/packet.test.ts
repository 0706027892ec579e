import { describe, expect, it } from 'vitest';
import {
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpDatagram,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  PARSE_FAILURES,
  parseIpv4Address,
  parseIpv6Address,
  parsePacket,
  WIRE_LAYERS,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { CHAIN6, DATA4, FIN4, FRAGMENT4_FIRST, FRAGMENT4_LAST, FRAGMENT6_FIRST, FRAGMENT6_LAST, PING4, PING6, RECORD_ROUTE4, RST4, SYN4, SYN6 } from './packets.js';

const A4 = parseIpv4Address('10.200.1.2')!;
const B4 = parseIpv4Address('10.200.2.2')!;
const A6 = parseIpv6Address('fd00:200:1::2')!;
const B6 = parseIpv6Address('fd00:200:2::2')!;

describe('parsePacket', () => {
  it('parses every known packet down to its transport header', () => {
    const expected: [Uint8Array, 4 | 6, number][] = [
      [SYN4, 4, IPPROTO_TCP],
      [DATA4, 4, IPPROTO_TCP],
      [FIN4, 4, IPPROTO_TCP],
      [RST4, 4, IPPROTO_TCP],
      [PING4, 4, IPPROTO_ICMP],
      [RECORD_ROUTE4, 4, IPPROTO_ICMP],
      [SYN6, 6, IPPROTO_TCP],
      [CHAIN6, 6, IPPROTO_TCP],
      [PING6, 6, IPPROTO_ICMPV6],
    ];
    for (const [bytes, version, protocol] of expected) {
      const p = parsePacket(bytes);
      if (!p.ok) throw new Error(`${p.layer} ${p.reason}`);
      expect(p.ip.version).toBe(version);
      expect(p.l4.protocol).toBe(protocol);
    }
  });

  it('narrows by protocol and hands out views of the packet', () => {
    const p = parsePacket(DATA4);
    if (!p.ok || p.l4.protocol !== IPPROTO_TCP) throw new Error('expected TCP');
    expect(p.l4.seq).toBe(987654322);
    expect(p.l4.payload.buffer).toBe(DATA4.buffer);
    expect(p.l4.payload.byteOffset).toBe(DATA4.byteOffset + 52);
  });

  it('parses UDP, and checks its checksum over Length bytes only', () => {
    const datagram = buildUdpDatagram({ srcPort: 5000, dstPort: 53, payload: hex('abcdef') }, A4, B4);
    const padded = new Uint8Array(datagram.length + 5);
    padded.set(datagram);
    padded.fill(0x55, datagram.length);
    const p = parsePacket(buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4 }, padded));
    if (!p.ok || p.l4.protocol !== IPPROTO_UDP) throw new Error('expected UDP');
    expect(p.l4.payload).toEqual(hex('abcdef'));
  });

  it('reports a bad transport checksum with the IP header attached', () => {
    const cases: [Uint8Array, string][] = [[DATA4, 'tcp'], [SYN6, 'tcp'], [PING4, 'icmpv4'], [PING6, 'icmpv6']];
    for (const [bytes, layer] of cases) {
      const corrupt = bytes.slice();
      corrupt[corrupt.length - 1] ^= 1;
      const p = parsePacket(corrupt);
      expect(p).toMatchObject({ ok: false, reason: 'bad-checksum', layer });
      expect(!p.ok && p.ip?.version).toBe(bytes[0] >>> 4);
      // Checksum offload: the kernel vouches for it, or has not summed it yet.
      expect(parsePacket(corrupt, false).ok).toBe(true);
    }
  });

  it('refuses a UDP zero checksum over IPv6 only', () => {
    const d4 = buildUdpDatagram({ srcPort: 1, dstPort: 2 }, A4, B4);
    d4[6] = d4[7] = 0;
    expect(parsePacket(buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4 }, d4)).ok).toBe(true);
    const d6 = buildUdpDatagram({ srcPort: 1, dstPort: 2 }, A6, B6);
    d6[6] = d6[7] = 0;
    expect(parsePacket(buildIpv6Packet({ protocol: IPPROTO_UDP, src: A6, dst: B6 }, d6))).toMatchObject({ ok: false, reason: 'bad-checksum', layer: 'udp' });
  });

  it('refuses fragments (no reassembly yet), but takes an IPv6 atomic fragment', () => {
    for (const [bytes, layer] of [[FRAGMENT4_FIRST, 'ipv4'], [FRAGMENT4_LAST, 'ipv4'], [FRAGMENT6_FIRST, 'ipv6'], [FRAGMENT6_LAST, 'ipv6']] as const) {
      const p = parsePacket(bytes);
      expect(p).toMatchObject({ ok: false, reason: 'fragment', layer });
      expect(!p.ok && p.ip?.isFragment).toBe(true);
    }
    expect(parsePacket(CHAIN6).ok).toBe(true);
  });

  it('refuses protocols it does not speak, keeping the IP header for an ICMP answer', () => {
    const gre = parsePacket(buildIpv4Packet({ protocol: 47, src: A4, dst: B4 }, new Uint8Array(8)));
    expect(gre).toMatchObject({ ok: false, reason: 'unknown-protocol', layer: 'ipv4' });
    expect(!gre.ok && gre.ip?.protocol).toBe(47);
    // Each ICMP belongs to its own IP version.
    expect(parsePacket(buildIpv6Packet({ protocol: IPPROTO_ICMP, src: A6, dst: B6 }, new Uint8Array(8)))).toMatchObject({ reason: 'unknown-protocol', layer: 'ipv6' });
    expect(parsePacket(buildIpv4Packet({ protocol: IPPROTO_ICMPV6, src: A4, dst: B4 }, new Uint8Array(8)))).toMatchObject({ reason: 'unknown-protocol', layer: 'ipv4' });
    expect(parsePacket(buildIpv6Packet({ protocol: 59, src: A6, dst: B6 }, new Uint8Array(0)))).toMatchObject({ reason: 'unknown-protocol' });
  });

  it('passes on the reason of the layer that refused', () => {
    expect(parsePacket(new Uint8Array(0))).toEqual({ ok: false, reason: 'truncated', layer: 'ip' });
    expect(parsePacket(hex('5000'))).toEqual({ ok: false, reason: 'bad-version', layer: 'ip' });
    expect(parsePacket(SYN4.subarray(0, 10))).toEqual({ ok: false, reason: 'truncated', layer: 'ipv4' });
    expect(parsePacket(SYN6.subarray(0, 50))).toEqual({ ok: false, reason: 'truncated', layer: 'ipv6' });
    const shortTcp = buildIpv4Packet({ protocol: IPPROTO_TCP, src: A4, dst: B4 }, new Uint8Array(12));
    expect(parsePacket(shortTcp)).toMatchObject({ ok: false, reason: 'truncated', layer: 'tcp' });
    const shortUdp = buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4 }, hex('0001 0002 0010 0000'));
    expect(parsePacket(shortUdp)).toMatchObject({ ok: false, reason: 'bad-length', layer: 'udp' });
    const shortIcmp = buildIpv6Packet({ protocol: IPPROTO_ICMPV6, src: A6, dst: B6 }, hex('8000'));
    expect(parsePacket(shortIcmp)).toMatchObject({ ok: false, reason: 'truncated', layer: 'icmpv6' });
  });

  it('names every layer and reason from the exported lists', () => {
    expect(new Set(PARSE_FAILURES).size).toBe(PARSE_FAILURES.length);
    expect(WIRE_LAYERS).toContain('ip');
  });
});

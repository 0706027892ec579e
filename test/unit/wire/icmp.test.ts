import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIcmpv4DestinationUnreachable,
  buildIcmpv4EchoReply,
  buildIcmpv4EchoRequest,
  buildIcmpv4FragmentationNeeded,
  buildIcmpv4Message,
  buildIcmpv4ParameterProblem,
  buildIcmpv4TimeExceeded,
  buildIcmpv6DestinationUnreachable,
  buildIcmpv6EchoReply,
  buildIcmpv6EchoRequest,
  buildIcmpv6Message,
  buildIcmpv6PacketTooBig,
  buildIcmpv6ParameterProblem,
  buildIcmpv6TimeExceeded,
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpDatagram,
  formatIpAddress,
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_PORT_UNREACHABLE,
  ICMP_TIME_EXCEEDED,
  ICMP_TTL_EXCEEDED,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_HOP_LIMIT_EXCEEDED,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAMETER_PROBLEM,
  ICMPV6_PORT_UNREACHABLE,
  ICMPV6_TIME_EXCEEDED,
  ICMPV6_UNRECOGNIZED_NEXT_HEADER,
  icmpv4Quote,
  icmpv6Quote,
  IPPROTO_FRAGMENT,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv6FragmentBody,
  parseIcmpv4,
  parseIcmpv6,
  parseInvokingPacket,
  parseIpv4,
  parseIpv4Address,
  parseIpv6,
  parseIpv6Address,
  verifyIcmpv4Checksum,
  verifyIcmpv6Checksum,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { CHAIN6, PING4, PING6, SYN4, SYN6 } from './packets.js';

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

const A4 = parseIpv4Address('10.200.1.2')!;
const B4 = parseIpv4Address('10.200.2.2')!;
const A6 = parseIpv6Address('fd00:200:1::2')!;
const B6 = parseIpv6Address('fd00:200:2::2')!;

/** A UDP datagram from A to port 9 of B, `dataLength` bytes of data, as a whole IP packet. */
function udp4(dataLength: number): Uint8Array {
  return buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4 }, buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: new Uint8Array(dataLength).fill(0x78) }, A4, B4));
}
function udp6(dataLength: number): Uint8Array {
  return buildIpv6Packet({ protocol: IPPROTO_UDP, src: A6, dst: B6 }, buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: new Uint8Array(dataLength).fill(0x78) }, A6, B6));
}

describe('ICMPv4 (RFC 792)', () => {
  it('parses a ping', () => {
    const icmp = ok(parseIcmpv4(ok(parseIpv4(PING4)).payload));
    expect(icmp).toMatchObject({ protocol: 1, type: ICMP_ECHO_REQUEST, code: 0, checksum: 0x2cf6, identifier: 0x1234, sequenceNumber: 1, rest: 0x12340001 });
    expect(icmp.body.length).toBe(56);
    expect(icmp.body[0]).toBe(0x10);
    expect(verifyIcmpv4Checksum(ok(parseIpv4(PING4)).payload)).toBe(true);
  });

  it('answers it with an echo reply carrying the same identifier, sequence and data', () => {
    const request = ok(parseIcmpv4(ok(parseIpv4(PING4)).payload));
    const reply = buildIcmpv4EchoReply(request.identifier, request.sequenceNumber, request.body);
    // Only the type changes, 8 → 0, so the checksum grows by 0x0800: 0x2cf6 → 0x34f6.
    expect(reply.subarray(0, 8)).toEqual(hex('0000 34f6 1234 0001'));
    expect(reply.subarray(8)).toEqual(request.body);
    expect(verifyIcmpv4Checksum(reply)).toBe(true);
    expect(ok(parseIcmpv4(reply)).type).toBe(ICMP_ECHO_REPLY);
  });

  it('build(parse(bytes)) and parse(build(fields)) round-trip', () => {
    const message = ok(parseIpv4(PING4)).payload;
    expect(buildIcmpv4Message(ok(parseIcmpv4(message)))).toEqual(message);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 }), (id, seq, data) => {
        const m = buildIcmpv4EchoRequest(id, seq, data);
        expect(verifyIcmpv4Checksum(m)).toBe(true);
        expect(ok(parseIcmpv4(m))).toMatchObject({ type: ICMP_ECHO_REQUEST, identifier: id, sequenceNumber: seq, body: data });
      }),
    );
  });

  it('Port Unreachable quotes a small datagram whole', () => {
    const invoking = udp4(20);
    const m = buildIcmpv4DestinationUnreachable(ICMP_PORT_UNREACHABLE, invoking);
    expect(m.length).toBe(8 + 48);
    expect(verifyIcmpv4Checksum(m)).toBe(true);
    const icmp = ok(parseIcmpv4(m));
    expect(icmp).toMatchObject({ type: ICMP_DEST_UNREACHABLE, code: ICMP_PORT_UNREACHABLE, rest: 0 });
    expect(icmp.body).toEqual(invoking);
    const quoted = ok(parseInvokingPacket(icmp.body, 4));
    expect(quoted).toMatchObject({ version: 4, src: A4, dst: B4, protocol: IPPROTO_UDP, srcPort: 5000, dstPort: 9 });
  });

  it('quotes at most 576 − 20 − 8 = 548 bytes (RFC 1812 §4.3.2.3, Linux icmp_send)', () => {
    const big = udp4(1472);
    expect(big.length).toBe(1500);
    const m = buildIcmpv4DestinationUnreachable(ICMP_PORT_UNREACHABLE, big);
    expect(m.length).toBe(556);
    expect(20 + m.length).toBe(576);
    expect(ok(parseIcmpv4(m)).body).toEqual(big.subarray(0, 548));
    expect(icmpv4Quote(big).length).toBe(548);
  });

  it('quotes the IP header and at least 8 data bytes, and never link padding', () => {
    const headerOnlyPlus8 = udp4(0); // 28 bytes: IP header + UDP header
    expect(icmpv4Quote(headerOnlyPlus8)).toEqual(headerOnlyPlus8);
    const padded = new Uint8Array(60);
    padded.set(headerOnlyPlus8);
    expect(icmpv4Quote(padded).length).toBe(28);
  });

  it('Fragmentation Needed carries the next-hop MTU (RFC 1191 §4)', () => {
    const m = buildIcmpv4FragmentationNeeded(udp4(1400), 1300);
    expect(m.subarray(0, 2)).toEqual(hex('0304'));
    expect(m.subarray(4, 8)).toEqual(hex('0000 0514'));
    const icmp = ok(parseIcmpv4(m));
    expect(icmp).toMatchObject({ type: ICMP_DEST_UNREACHABLE, code: ICMP_FRAGMENTATION_NEEDED, nextHopMtu: 1300 });
  });

  it('Time Exceeded and Parameter Problem', () => {
    const t = ok(parseIcmpv4(buildIcmpv4TimeExceeded(ICMP_TTL_EXCEEDED, SYN4)));
    expect(t).toMatchObject({ type: ICMP_TIME_EXCEEDED, code: 0, rest: 0 });
    const quoted = ok(parseInvokingPacket(t.body, 4));
    expect(quoted).toMatchObject({ protocol: IPPROTO_TCP, srcPort: 45678, dstPort: 5201 });
    expect(quoted.transport.length).toBe(40);
    const p = ok(parseIcmpv4(buildIcmpv4ParameterProblem(22, SYN4)));
    expect(p.rest >>> 24).toBe(22);
  });

  it('refuses a message shorter than 8 bytes', () => {
    expect(parseIcmpv4(hex('0800 f7ff 0000 00'))).toEqual({ ok: false, reason: 'truncated', layer: 'icmpv4' });
  });
});

describe('ICMPv6 (RFC 4443)', () => {
  it('parses a ping and verifies its checksum with the pseudo-header', () => {
    const ip = ok(parseIpv6(PING6));
    const icmp = ok(parseIcmpv6(ip.payload));
    expect(icmp).toMatchObject({ protocol: 58, type: ICMPV6_ECHO_REQUEST, code: 0, identifier: 7, sequenceNumber: 1, checksum: 0x819c });
    expect(verifyIcmpv6Checksum(ip.payload, ip.src, ip.dst)).toBe(true);
    expect(verifyIcmpv6Checksum(ip.payload, ip.src, A6.map((b, i) => (i === 15 ? 9 : b)))).toBe(false);
  });

  it('answers it', () => {
    const ip = ok(parseIpv6(PING6));
    const request = ok(parseIcmpv6(ip.payload));
    const reply = buildIcmpv6EchoReply(request.identifier, request.sequenceNumber, request.body, ip.dst, ip.src);
    expect(verifyIcmpv6Checksum(reply, B6, A6)).toBe(true);
    expect(ok(parseIcmpv6(reply))).toMatchObject({ type: ICMPV6_ECHO_REPLY, identifier: 7, sequenceNumber: 1, body: request.body });
  });

  it('build(parse(bytes)) and parse(build(fields)) round-trip', () => {
    const message = ok(parseIpv6(PING6)).payload;
    expect(buildIcmpv6Message(ok(parseIcmpv6(message)), A6, B6)).toEqual(message);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 }), (id, seq, data) => {
        const m = buildIcmpv6EchoRequest(id, seq, data, A6, B6);
        expect(verifyIcmpv6Checksum(m, A6, B6)).toBe(true);
        expect(ok(parseIcmpv6(m))).toMatchObject({ identifier: id, sequenceNumber: seq, body: data });
      }),
    );
  });

  it('Packet Too Big carries the MTU and quotes up to 1280 − 40 − 8 = 1232 bytes', () => {
    const big = udp6(1452);
    expect(big.length).toBe(1500);
    const m = buildIcmpv6PacketTooBig(1280, big, B6, A6);
    expect(m.length).toBe(1240);
    expect(40 + m.length).toBe(1280);
    expect(verifyIcmpv6Checksum(m, B6, A6)).toBe(true);
    const icmp = ok(parseIcmpv6(m));
    expect(icmp).toMatchObject({ type: ICMPV6_PACKET_TOO_BIG, code: 0, mtu: 1280 });
    expect(icmp.body).toEqual(big.subarray(0, 1232));
    expect(ok(parseInvokingPacket(icmp.body, 6))).toMatchObject({ protocol: IPPROTO_UDP, srcPort: 5000, dstPort: 9 });
  });

  it('quotes a small packet whole, without link padding', () => {
    const small = udp6(4);
    expect(icmpv6Quote(small)).toEqual(small);
    const padded = new Uint8Array(small.length + 10);
    padded.set(small);
    expect(icmpv6Quote(padded)).toEqual(small);
  });

  it('Destination Unreachable, Time Exceeded, Parameter Problem', () => {
    const u = ok(parseIcmpv6(buildIcmpv6DestinationUnreachable(ICMPV6_PORT_UNREACHABLE, udp6(20), B6, A6)));
    expect(u).toMatchObject({ type: ICMPV6_DEST_UNREACHABLE, code: ICMPV6_PORT_UNREACHABLE, rest: 0 });
    const quoted = ok(parseInvokingPacket(u.body, 6));
    expect(formatIpAddress(quoted.src)).toBe('fd00:200:1::2');
    expect(formatIpAddress(quoted.dst)).toBe('fd00:200:2::2');
    const t = ok(parseIcmpv6(buildIcmpv6TimeExceeded(ICMPV6_HOP_LIMIT_EXCEEDED, SYN6, B6, A6)));
    expect(t).toMatchObject({ type: ICMPV6_TIME_EXCEEDED, code: 0 });
    const p = ok(parseIcmpv6(buildIcmpv6ParameterProblem(ICMPV6_UNRECOGNIZED_NEXT_HEADER, 40, SYN6, B6, A6)));
    expect(p).toMatchObject({ type: ICMPV6_PARAMETER_PROBLEM, code: 1, rest: 40 });
  });

  it('refuses a message shorter than 8 bytes', () => {
    expect(parseIcmpv6(hex('8000 0000'))).toEqual({ ok: false, reason: 'truncated', layer: 'icmpv6' });
  });
});

describe('parseInvokingPacket', () => {
  it('reads a quoted IPv4 header with options', () => {
    const withOptions = buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4, options: hex('9404 0000') }, buildUdpDatagram({ srcPort: 7, dstPort: 8 }, A4, B4));
    expect(ok(parseInvokingPacket(withOptions, 4))).toMatchObject({ protocol: IPPROTO_UDP, srcPort: 7, dstPort: 8 });
  });

  it('needs the IP header and 8 bytes of the upper layer', () => {
    const invoking = udp4(20);
    expect(parseInvokingPacket(invoking.subarray(0, 27), 4)).toEqual({ ok: false, reason: 'truncated', layer: 'icmpv4' });
    expect(parseInvokingPacket(invoking.subarray(0, 28), 4).ok).toBe(true);
    expect(parseInvokingPacket(udp6(20).subarray(0, 47), 6)).toEqual({ ok: false, reason: 'truncated', layer: 'icmpv6' });
  });

  it('refuses the other IP version and a bad IHL', () => {
    expect(parseInvokingPacket(udp6(20), 4)).toEqual({ ok: false, reason: 'bad-version', layer: 'icmpv4' });
    expect(parseInvokingPacket(udp4(40), 6)).toEqual({ ok: false, reason: 'bad-version', layer: 'icmpv6' });
    const bad = udp4(20);
    bad[0] = 0x44;
    expect(parseInvokingPacket(bad, 4)).toEqual({ ok: false, reason: 'bad-header-length', layer: 'icmpv4' });
  });

  it('walks quoted IPv6 extension headers, even cut short by the quote', () => {
    const quoted = ok(parseInvokingPacket(CHAIN6.subarray(0, 72 + 8), 6));
    expect(quoted).toMatchObject({ protocol: IPPROTO_TCP, srcPort: 40000, dstPort: 5201 });
    expect(parseInvokingPacket(CHAIN6.subarray(0, 70), 6)).toEqual({ ok: false, reason: 'truncated', layer: 'icmpv6' });
  });

  it('a non-first fragment has no upper-layer header to read', () => {
    const fragment = buildIpv6Packet(
      { src: A6, dst: B6, protocol: IPPROTO_UDP, extensionHeaders: [{ type: IPPROTO_FRAGMENT, body: ipv6FragmentBody({ fragmentOffset: 3, moreFragments: false, identification: 1 }) }] },
      new Uint8Array(16),
    );
    expect(parseInvokingPacket(fragment, 6)).toEqual({ ok: false, reason: 'fragment', layer: 'icmpv6' });
  });
});

// Packet scripts against the host stack: inject a packet, expect exactly these packets.
import { describe, expect, it } from 'vitest';
import { Stack } from '../../../src/stack/stack.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  buildIcmpv4EchoRequest,
  buildIcmpv6EchoRequest,
  buildIpv4Packet,
  buildIpv6Packet,
  buildTcpSegment,
  buildUdpDatagram,
  formatPacket,
  linuxSynOptions,
  parseIpAddress,
  parsePacket,
  type Ipv6Address,
} from '../../../src/wire/index.js';

const KERNEL4 = parseIpAddress('10.77.0.1') as number;
const US4 = parseIpAddress('10.77.0.2') as number;
const KERNEL6 = parseIpAddress('fd00:77::1') as Ipv6Address;
const US6 = parseIpAddress('fd00:77::2') as Ipv6Address;

function stack(): Stack {
  return new Stack({ addresses: ['10.77.0.2', 'fd00:77::2'] });
}

function lines(packets: Uint8Array[]): string[] {
  return packets.map((p) => formatPacket(parsePacket(p)));
}

describe('Stack', () => {
  it('answers ping with the same id, sequence and data', () => {
    const s = stack();
    const data = new Uint8Array(56).map((_, i) => i);
    s.input(buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_ICMP }, buildIcmpv4EchoRequest(0x1234, 7, data)), 0);
    const out = s.takeOutput();
    expect(lines(out)).toEqual(['IP 10.77.0.2 > 10.77.0.1: ICMP echo reply, id 4660, seq 7, length 64']);
    const reply = parsePacket(out[0]);
    if (!reply.ok || reply.l4.protocol !== IPPROTO_ICMP) throw new Error('no ICMP reply');
    expect([...reply.l4.body]).toEqual([...data]);
    expect(s.counters.get('IcmpInEchos')).toBe(1);
    expect(s.counters.get('IcmpOutEchoReps')).toBe(1);
  });

  it('answers ping -6', () => {
    const s = stack();
    const request = buildIcmpv6EchoRequest(9, 3, new Uint8Array(8), KERNEL6, US6);
    s.input(buildIpv6Packet({ src: KERNEL6, dst: US6, protocol: IPPROTO_ICMPV6 }, request), 0);
    expect(lines(s.takeOutput())).toEqual(['IP6 fd00:77::2 > fd00:77::1: ICMP6, echo reply, id 9, seq 3, length 16']);
    expect(s.counters.get('Icmp6OutEchoReplies')).toBe(1);
  });

  it('resets a SYN to a port with no listener: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>', () => {
    const s = stack();
    const syn = buildTcpSegment(
      { srcPort: 40000, dstPort: 80, seq: 1000, flags: TCP_SYN, window: 64240, options: linuxSynOptions({ mss: 1460, sackPermitted: true, tsVal: 1, windowScale: 7 }) },
      KERNEL4,
      US4,
    );
    s.input(buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_TCP }, syn), 0);
    expect(lines(s.takeOutput())).toEqual(['IP 10.77.0.2.80 > 10.77.0.1.40000: Flags [R.], seq 0, ack 1001, win 0, length 0']);
    expect(s.counters.get('TcpOutRsts')).toBe(1);
  });

  it('resets an ACK for no connection with <SEQ=SEG.ACK><CTL=RST>', () => {
    const s = stack();
    const ack = buildTcpSegment({ srcPort: 40000, dstPort: 80, seq: 5, ack: 777, flags: TCP_ACK | TCP_FIN, window: 100 }, KERNEL6, US6);
    s.input(buildIpv6Packet({ src: KERNEL6, dst: US6, protocol: IPPROTO_TCP }, ack), 0);
    expect(lines(s.takeOutput())).toEqual(['IP6 fd00:77::2.80 > fd00:77::1.40000: Flags [R], seq 777, win 0, length 0']);
  });

  it('never answers a RST', () => {
    const s = stack();
    const rst = buildTcpSegment({ srcPort: 40000, dstPort: 80, seq: 5, flags: TCP_RST, window: 0 }, KERNEL4, US4);
    s.input(buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_TCP }, rst), 0);
    expect(s.takeOutput()).toEqual([]);
  });

  it('answers UDP with ICMP port unreachable quoting the datagram', () => {
    const s = stack();
    const udp = buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: new Uint8Array(20) }, KERNEL4, US4);
    s.input(buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_UDP }, udp), 0);
    const [reply] = lines(s.takeOutput());
    expect(reply).toMatch(/^IP 10\.77\.0\.2 > 10\.77\.0\.1: ICMP 10\.77\.0\.2 udp port 9 unreachable/);
    expect(s.counters.get('UdpNoPorts')).toBe(1);
  });

  it('counts and drops what it cannot parse, and what is not addressed to it', () => {
    const s = stack();
    const good = buildIpv4Packet({ src: KERNEL4, dst: US4, protocol: IPPROTO_ICMP }, buildIcmpv4EchoRequest(1, 1, new Uint8Array(4)));
    const badChecksum = good.slice();
    badChecksum[good.length - 1] ^= 0xff;
    s.input(badChecksum, 0);
    s.input(good.subarray(0, 10), 0);
    s.input(new Uint8Array(0), 0);
    s.input(buildIpv4Packet({ src: KERNEL4, dst: KERNEL4, protocol: IPPROTO_ICMP }, buildIcmpv4EchoRequest(1, 1, new Uint8Array(4))), 0);
    expect(s.takeOutput()).toEqual([]);
    expect(s.counters.get('TcplabDropIcmpBadChecksum')).toBe(1);
    expect(s.counters.get('IcmpInCsumErrors')).toBe(1);
    expect(s.counters.get('TcplabDropIpv4Truncated')).toBe(1);
    expect(s.counters.get('TcplabDropIpTruncated')).toBe(1);
    expect(s.counters.get('IpInAddrErrors')).toBe(1);
    expect(s.counters.delta()).toMatchObject({ IpInReceives: 4, IpInAddrErrors: 1 });
    expect(s.counters.delta()).toEqual({});
  });

  it('refuses an address it cannot parse with a TypeError that says what to give', () => {
    expect(() => new Stack({ addresses: ['10.0.0.300'] })).toThrow(/not an IPv4 or IPv6 address/);
  });
});

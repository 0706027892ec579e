/**
 * Every expected line below is what tcpdump 4.99.3 prints (`tcpdump -n -S -t`) for the same
 * bytes: they were checked by writing the packets to a pcap file and reading it back.
 */
import { describe, expect, it } from 'vitest';
import {
  buildIcmpv4DestinationUnreachable,
  buildIcmpv4FragmentationNeeded,
  buildIcmpv4TimeExceeded,
  buildIcmpv6DestinationUnreachable,
  buildIcmpv6Message,
  buildIcmpv6PacketTooBig,
  buildIcmpv6TimeExceeded,
  buildIpv4Packet,
  buildIpv6Packet,
  buildTcpSegment,
  buildUdpDatagram,
  encodeIpv6Options,
  formatPacket,
  formatTcpFlags,
  formatTcpOptions,
  formatTcpSegment,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  linuxSynOptions,
  linuxTcpOptions,
  parseIpv4Address,
  parseIpv6Address,
  parsePacket,
  parseTcp,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type TcpSegmentFields,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';
import { CHAIN6, DATA4, FIN4, FRAGMENT4_FIRST, FRAGMENT4_LAST, FRAGMENT6_FIRST, FRAGMENT6_LAST, PING4, RECORD_ROUTE4, RST4, SYN4, SYN6 } from './packets.js';

const A4 = parseIpv4Address('10.200.1.2')!;
const B4 = parseIpv4Address('10.200.2.2')!;
const A6 = parseIpv6Address('fd00:200:1::2')!;
const B6 = parseIpv6Address('fd00:200:2::2')!;

const line = (bytes: Uint8Array): string => formatPacket(parsePacket(bytes));
const tcp4 = (fields: TcpSegmentFields): Uint8Array => buildIpv4Packet({ protocol: IPPROTO_TCP, src: A4, dst: B4 }, buildTcpSegment(fields, A4, B4));

describe('formatPacket: lines as tcpdump prints them', () => {
  it('the known Linux packets', () => {
    expect(line(SYN4)).toBe('IP 10.200.1.2.45678 > 10.200.2.2.5201: Flags [S], seq 987654321, win 64240, options [mss 1460,sackOK,TS val 2671516203 ecr 0,nop,wscale 7], length 0');
    expect(line(SYN6)).toBe('IP6 fd00:200:1::2.45678 > fd00:200:2::2.5201: Flags [S], seq 987654321, win 64800, options [mss 1440,sackOK,TS val 2671516203 ecr 0,nop,wscale 7], length 0');
    expect(line(DATA4)).toBe('IP 10.200.1.2.45678 > 10.200.2.2.5201: Flags [P.], seq 987654322:987654335, ack 287454021, win 502, options [nop,nop,TS val 2671516224 ecr 1583218689], length 13');
    expect(line(FIN4)).toBe('IP 10.200.2.2.5201 > 10.200.1.2.45678: Flags [F.], seq 287454021, ack 987654335, win 509, options [nop,nop,TS val 2671516224 ecr 1583218689], length 0');
    expect(line(RST4)).toBe('IP 10.200.2.2.9 > 10.200.1.2.45678: Flags [R.], seq 0, ack 987654322, win 0, length 0');
    expect(line(PING4)).toBe('IP 10.200.1.2 > 10.200.2.2: ICMP echo request, id 4660, seq 1, length 64');
    expect(line(RECORD_ROUTE4)).toBe('IP 10.200.1.2 > 10.200.2.2: ICMP echo request, id 2989, seq 1, length 16');
    expect(line(CHAIN6)).toBe('IP6 fd00:200:1::2 > fd00:200:2::2: HBH frag (0|28) DSTOPT 40000 > 5201: Flags [S], seq 1, win 1000, length 0');
  });

  it('TCP segments of every shape', () => {
    const base = { srcPort: 45678, dstPort: 8080, seq: 137, window: 502 };
    expect(line(tcp4({ ...base, ack: 1000, flags: TCP_FIN | TCP_ACK, options: linuxTcpOptions({ tsVal: 7, tsEcr: 5, sackBlocks: [{ left: 5000, right: 6000 }, { left: 7000, right: 8000 }] }) })))
      .toBe('IP 10.200.1.2.45678 > 10.200.2.2.8080: Flags [F.], seq 137, ack 1000, win 502, options [nop,nop,TS val 7 ecr 5,nop,nop,sack 2 {5000:6000}{7000:8000}], length 0');
    expect(line(tcp4({ ...base, window: 0, flags: TCP_RST }))).toBe('IP 10.200.1.2.45678 > 10.200.2.2.8080: Flags [R], seq 137, win 0, length 0');
    expect(line(tcp4({ ...base, window: 0, flags: 0 }))).toBe('IP 10.200.1.2.45678 > 10.200.2.2.8080: Flags [none], win 0, length 0');
    expect(line(tcp4({ ...base, ack: 5, window: 10, urgentPointer: 3, flags: TCP_URG | TCP_ACK | TCP_ECE | TCP_CWR | TCP_SYN })))
      .toBe('IP 10.200.1.2.45678 > 10.200.2.2.8080: Flags [S.UEW], seq 137, ack 5, win 10, urg 3, length 0');
    // The sequence range wraps.
    expect(line(tcp4({ srcPort: 1, dstPort: 2, seq: 0xffffffff, ack: 5, flags: TCP_ACK, window: 10, payload: new Uint8Array(3), options: [{ kind: 'unknown', optionKind: 99, data: hex('010203') }, { kind: 'nop' }, { kind: 'eol' }] })))
      .toBe('IP 10.200.1.2.1 > 10.200.2.2.2: Flags [.], seq 4294967295:2, ack 5, win 10, options [unknown-99 0x010203,nop,eol], length 3');
  });

  it('malformed TCP options, tcpdump\'s way', () => {
    const odd = (options: string): string => line(tcp4({ srcPort: 1, dstPort: 2, seq: 1, ack: 5, flags: TCP_ACK, window: 10, options: hex(options) }));
    const head = 'IP 10.200.1.2.1 > 10.200.2.2.2: Flags [.], ack 5, win 10, ';
    expect(odd('0203 0501 0101 0101')).toBe(`${head}options [mss 1281[len 3],nop,nop,nop,nop], length 0`);
    expect(odd('0101 0209 0501')).toBe(`${head}options [nop,nop,[bad opt]]`);
    expect(odd('0506 0000 0001 0101')).toBe(`${head}options [sack invalid sack,nop,nop], length 0`);
    expect(odd('0304 0701 0000 0000')).toBe(`${head}options [wscale 7[len 4],nop,eol], length 0`);
    expect(odd('080a 0000 0001 0000 0002 0100')).toBe(`${head}options [TS val 1 ecr 2,nop,eol], length 0`);
    expect(odd('0101 0101 0401 0000')).toBe(`${head}options [nop,nop,nop,nop,[bad opt]]`);
  });

  it('formatTcpSegment alone, as the lab prints it', () => {
    const seg = parseTcp(buildTcpSegment({ srcPort: 1, dstPort: 2, seq: 123, flags: TCP_SYN, window: 64240, options: linuxSynOptions({ mss: 1460, sackPermitted: true, tsVal: 1, tsEcr: 0, windowScale: 7 }) }, A4, B4));
    if (!seg.ok) throw new Error(seg.reason);
    expect(formatTcpSegment(seg)).toBe('Flags [S], seq 123, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0');
    expect(formatTcpOptions(seg.options)).toEqual({ text: 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7', bad: false });
  });

  it('flag letters in tcpdump\'s order', () => {
    expect(formatTcpFlags(TCP_SYN)).toBe('S');
    expect(formatTcpFlags(TCP_SYN | TCP_ACK)).toBe('S.');
    expect(formatTcpFlags(TCP_PSH | TCP_ACK)).toBe('P.');
    expect(formatTcpFlags(TCP_FIN | TCP_ACK)).toBe('F.');
    expect(formatTcpFlags(TCP_FIN | TCP_PSH | TCP_ACK)).toBe('FP.');
    expect(formatTcpFlags(TCP_RST)).toBe('R');
    expect(formatTcpFlags(TCP_ACK)).toBe('.');
    expect(formatTcpFlags(TCP_SYN | TCP_ECE | TCP_CWR)).toBe('SEW');
    expect(formatTcpFlags(0)).toBe('none');
  });

  it('UDP and ICMP errors', () => {
    const udp = buildIpv4Packet({ protocol: IPPROTO_UDP, src: A4, dst: B4 }, buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: new Uint8Array(20) }, A4, B4));
    expect(line(udp)).toBe('IP 10.200.1.2.5000 > 10.200.2.2.9: UDP, length 20');
    const icmp = (m: Uint8Array): string => line(buildIpv4Packet({ protocol: IPPROTO_ICMP, src: B4, dst: A4 }, m));
    expect(icmp(buildIcmpv4DestinationUnreachable(3, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP 10.200.2.2 udp port 9 unreachable, length 56');
    expect(icmp(buildIcmpv4DestinationUnreachable(1, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP host 10.200.2.2 unreachable, length 56');
    expect(icmp(buildIcmpv4DestinationUnreachable(0, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP net 10.200.2.2 unreachable, length 56');
    expect(icmp(buildIcmpv4DestinationUnreachable(2, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP 10.200.2.2 protocol 17 unreachable, length 56');
    expect(icmp(buildIcmpv4DestinationUnreachable(13, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP host 10.200.2.2 unreachable - admin prohibited filter, length 56');
    expect(icmp(buildIcmpv4FragmentationNeeded(udp, 1300))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP 10.200.2.2 unreachable - need to frag (mtu 1300), length 56');
    expect(icmp(buildIcmpv4TimeExceeded(0, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP time exceeded in-transit, length 56');
    expect(icmp(buildIcmpv4TimeExceeded(1, udp))).toBe('IP 10.200.2.2 > 10.200.1.2: ICMP ip reassembly time exceeded, length 56');
  });

  it('ICMPv6', () => {
    const udp = buildIpv6Packet({ protocol: IPPROTO_UDP, src: A6, dst: B6 }, buildUdpDatagram({ srcPort: 5000, dstPort: 9, payload: new Uint8Array(20) }, A6, B6));
    expect(line(udp)).toBe('IP6 fd00:200:1::2.5000 > fd00:200:2::2.9: UDP, length 20');
    const icmp = (m: Uint8Array): string => line(buildIpv6Packet({ protocol: IPPROTO_ICMPV6, src: B6, dst: A6 }, m));
    const head = 'IP6 fd00:200:2::2 > fd00:200:1::2: ICMP6, ';
    expect(icmp(buildIcmpv6DestinationUnreachable(0, udp, B6, A6))).toBe(`${head}destination unreachable, unreachable route fd00:200:2::2, length 76`);
    expect(icmp(buildIcmpv6DestinationUnreachable(1, udp, B6, A6))).toBe(`${head}destination unreachable,  unreachable prohibited fd00:200:2::2, length 76`);
    expect(icmp(buildIcmpv6DestinationUnreachable(2, udp, B6, A6))).toBe(`${head}destination unreachable, beyond scope fd00:200:2::2, source address fd00:200:1::2, length 76`);
    expect(icmp(buildIcmpv6DestinationUnreachable(3, udp, B6, A6))).toBe(`${head}destination unreachable, unreachable address fd00:200:2::2, length 76`);
    expect(icmp(buildIcmpv6DestinationUnreachable(4, udp, B6, A6))).toBe(`${head}destination unreachable, unreachable port, fd00:200:2::2 udp port 9, length 76`);
    expect(icmp(buildIcmpv6DestinationUnreachable(7, udp, B6, A6))).toBe(`${head}destination unreachable, unknown unreach code (7)`);
    expect(icmp(buildIcmpv6PacketTooBig(1300, udp, B6, A6))).toBe(`${head}packet too big, mtu 1300, length 76`);
    expect(icmp(buildIcmpv6TimeExceeded(0, udp, B6, A6))).toBe(`${head}time exceeded in-transit for fd00:200:2::2, length 76`);
    expect(icmp(buildIcmpv6TimeExceeded(1, udp, B6, A6))).toBe(`${head}time exceeded in-transit (reassembly), length 76`);
    const ff = parseIpv6Address('ff02::16')!;
    const mld = buildIpv6Packet(
      { protocol: IPPROTO_ICMPV6, src: A6, dst: ff, hopLimit: 1, extensionHeaders: [{ type: IPPROTO_HOPOPTS, body: encodeIpv6Options([{ type: 5, data: new Uint8Array(2) }]) }] },
      buildIcmpv6Message({ type: 143, code: 0, rest: 1, body: hex('0400 0000 ff02 0000 0000 0000 0000 0000 0001 0003') }, A6, ff),
    );
    expect(line(mld)).toBe('IP6 fd00:200:1::2 > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28');
    const ns = buildIpv6Packet({ protocol: IPPROTO_ICMPV6, src: A6, dst: ff }, buildIcmpv6Message({ type: 135, code: 0, body: new Uint8Array(24) }, A6, ff));
    expect(line(ns)).toBe('IP6 fd00:200:1::2 > ff02::16: ICMP6, neighbor solicitation, who has ::, length 32');
  });

  it('fragments: the first decoded as far as it goes, the others by their IP header', () => {
    expect(line(FRAGMENT6_FIRST)).toBe('IP6 fd00:200:1::2 > fd00:200:2::2: frag (0|16) ICMP6, echo request, id 7, seq 1, length 16');
    expect(line(FRAGMENT6_LAST)).toBe('IP6 fd00:200:1::2 > fd00:200:2::2: frag (16|8)');
    expect(line(FRAGMENT4_FIRST)).toBe('IP 10.200.1.2 > 10.200.2.2: ICMP type-#128, length 16');
    expect(line(FRAGMENT4_LAST)).toBe('IP 10.200.1.2 > 10.200.2.2: ip-proto-1');
  });

  it('refused packets show the layer and reason', () => {
    expect(formatPacket(parsePacket(new Uint8Array(0)))).toBe('[ip truncated]');
    const corrupt = DATA4.slice();
    corrupt[60] ^= 1;
    expect(formatPacket(parsePacket(corrupt))).toBe('IP 10.200.1.2 > 10.200.2.2: [tcp bad-checksum]');
  });
});

// The ICMP errors tcplab sends are rate limited as Linux limits them (icmp_global_allow,
// inet_peer_xrlim_allow, the ratemasks): packet scripts against one stack, in virtual time.
import { describe, expect, it } from 'vitest';
import { IcmpRateLimiter, parseRatemask } from '../../../src/stack/icmp-rate-limit.js';
import { Stack, type StackOptions } from '../../../src/stack/stack.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  buildIcmpv4EchoRequest,
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpDatagram,
  parseIpAddress,
  type Ipv6Address,
} from '../../../src/wire/index.js';

const US4 = parseIpAddress('10.77.0.2') as number;
const US6 = parseIpAddress('fd00:77::2') as Ipv6Address;

function stack(options: Partial<StackOptions> = {}): Stack {
  return new Stack({ addresses: ['10.77.0.2', 'fd00:77::2'], ...options });
}

/** A UDP datagram to a closed port, from 10.77.<n>.1 (or fd00:77::<n> for IPv6). */
function udpFrom(n: number, v6 = false): Uint8Array {
  if (v6) {
    const src = parseIpAddress(`fd00:77::${(n + 16).toString(16)}`) as Ipv6Address;
    return buildIpv6Packet({ src, dst: US6, protocol: IPPROTO_UDP }, buildUdpDatagram({ srcPort: 40000, dstPort: 9 }, src, US6));
  }
  const src = ((10 << 24) | (77 << 16) | ((n & 0xff) << 8) | (1 + (n >> 8))) >>> 0;
  return buildIpv4Packet({ src, dst: US4, protocol: IPPROTO_UDP }, buildUdpDatagram({ srcPort: 40000, dstPort: 9 }, src, US4));
}

/** Feed `count` copies of `packet` at `now`; the number of packets the stack sent back. */
function feed(s: Stack, packet: Uint8Array, count: number, now: number): number {
  for (let i = 0; i < count; i++) s.input(packet, now);
  return s.takeOutput().length;
}

describe('ICMP rate limits (Linux icmp_ratelimit, icmp_msgs_per_sec, icmp_msgs_burst)', () => {
  it('one destination: a burst of 6 port unreachables, then one per icmp_ratelimit (1000 ms)', () => {
    const s = stack();
    expect(feed(s, udpFrom(1), 100, 0)).toBe(6);
    expect(s.counters.get('UdpNoPorts')).toBe(100);
    expect(s.counters.get('IcmpOutDestUnreachs')).toBe(6);
    expect(s.counters.get('IcmpOutRateLimitHost')).toBe(94);
    expect(s.counters.get('IcmpOutMsgs')).toBe(6);
    expect(feed(s, udpFrom(1), 10, 999)).toBe(0);
    expect(feed(s, udpFrom(1), 10, 1000)).toBe(1);
    // Idle, the bucket fills again up to six.
    expect(feed(s, udpFrom(1), 10, 60_000)).toBe(6);
  });

  it('many destinations: the host-wide bucket lets 50 through, then refills 1 per ms after 20 ms', () => {
    const s = stack();
    let sent = 0;
    for (let n = 0; n < 80; n++) sent += feed(s, udpFrom(n), 1, 0);
    expect(sent).toBe(50);
    expect(s.counters.get('IcmpOutRateLimitGlobal')).toBe(30);
    expect(feed(s, udpFrom(100), 1, 19)).toBe(0);
    let later = 0;
    for (let n = 101; n < 140; n++) later += feed(s, udpFrom(n), 1, 20);
    expect(later).toBe(20);
    expect(s.counters.get('IcmpOutRateLimitGlobal')).toBe(30 + 1 + 19);
  });

  it('ICMPv6: six, then one per net.ipv6.icmp.ratelimit (100 ms); the global bucket is shared', () => {
    const s = stack();
    expect(feed(s, udpFrom(1, true), 20, 0)).toBe(6);
    expect(s.counters.get('Icmp6OutRateLimitHost')).toBe(14);
    expect(s.counters.get('Icmp6OutDestUnreachs')).toBe(6);
    // 6 credits gone: 44 more destinations, IPv4 or IPv6, before the global limit, which
    // icmpv6_global_allow counts in the IPv4 MIB.
    let sent = 0;
    for (let n = 2; n < 62; n++) sent += feed(s, udpFrom(n, n % 2 === 0), 1, 0);
    expect(sent).toBe(44);
    expect(s.counters.get('IcmpOutRateLimitGlobal')).toBe(16);
    expect(feed(s, udpFrom(1, true), 5, 99)).toBe(0);
    expect(feed(s, udpFrom(1, true), 5, 100)).toBe(1);
  });

  it('echo replies are never limited and take no credit (icmp_ratemask)', () => {
    const s = stack();
    const ping = buildIpv4Packet({ src: parseIpAddress('10.77.0.1') as number, dst: US4, protocol: IPPROTO_ICMP }, buildIcmpv4EchoRequest(1, 1, new Uint8Array(8)));
    expect(feed(s, ping, 500, 0)).toBe(500);
    let sent = 0;
    for (let n = 0; n < 50; n++) sent += feed(s, udpFrom(n), 1, 0);
    expect(sent).toBe(50);
  });

  it('the sysctls: icmpRatemask 0 turns the limits off; icmpRatelimit sets the per-destination pace', () => {
    expect(feed(stack({ icmpRatemask: 0 }), udpFrom(1), 200, 0)).toBe(200);
    const s = stack({ icmpRatelimit: 250, icmpMsgsBurst: 1000 });
    expect(feed(s, udpFrom(1), 50, 0)).toBe(6);
    expect(feed(s, udpFrom(1), 50, 250)).toBe(1);
  });

  it('fragmentation needed and packet too big are never limited (Linux: "Don\'t limit PMTU discovery")', () => {
    const limiter = new IcmpRateLimiter();
    const dst = parseIpAddress('10.0.0.1')!;
    const dst6 = parseIpAddress('fd00::1')!;
    for (let i = 0; i < 100; i++) {
      expect(limiter.allow(dst, 3, 4, 0)).toBe('send');
      expect(limiter.allow(dst6, 2, 0, 0)).toBe('send');
    }
    expect(limiter.allow(dst, 3, 3, 0)).toBe('send');
  });

  it('a flood from spoofed sources keeps the table of destinations bounded', () => {
    const limiter = new IcmpRateLimiter({ icmpMsgsBurst: 1 << 30, icmpMsgsPerSec: 1 << 30 });
    for (let n = 0; n < 200_000; n++) limiter.allow((0x0a000000 + n) >>> 0, 3, 3, n / 1000);
    expect(limiter.trackedPeers).toBeLessThanOrEqual(65_536);
  });

  it('reads net.ipv6.icmp.ratemask syntax', () => {
    const mask = parseRatemask('0-1,3-127');
    expect(mask.has(1) && mask.has(3) && mask.has(127)).toBe(true);
    expect(mask.has(2) || mask.has(128)).toBe(false);
    expect(() => parseRatemask('1-x')).toThrow(/icmpv6Ratemask/);
  });
});

// ICMP errors through the host stack: two stacks back to back in virtual time, with a "router"
// on the wire that answers for the packets it drops, as a real one would (fragmentation
// needed, packet too big, unreachable), and spoofed errors an attacker would send.
import { describe, expect, it } from 'vitest';
import { Stack } from '../../../src/stack/stack.js';
import type { TcpEndpoint } from '../../../src/stack/tcp-endpoint.js';
import {
  ICMP_HOST_UNREACHABLE,
  ICMP_PORT_UNREACHABLE,
  ICMPV6_ADMINISTRATIVELY_PROHIBITED,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_SYN,
  TCP_ACK,
  buildIcmpv4DestinationUnreachable,
  buildIcmpv4FragmentationNeeded,
  buildIcmpv4Message,
  buildIcmpv6DestinationUnreachable,
  buildIcmpv6PacketTooBig,
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpDatagram,
  parseIpAddress,
  parsePacket,
  type IpAddress,
  type Ipv6Address,
} from '../../../src/wire/index.js';
import { readU32, writeU32 } from '../../../src/wire/bytes.js';
import { twoHosts, type TwoHosts } from './two-hosts.js';

const ROUTER4 = parseIpAddress('10.0.0.254') as number;
const ROUTER6 = parseIpAddress('fd00::fe') as Ipv6Address;

type Kind = 'port-unreachable' | 'host-unreachable' | 'prohibited6' | { mtu: number };

/** An ICMP error from the router about `packet` (which a host sent), addressed to its source
 *  (read from the raw header: the quote need not be a valid packet). */
function icmpAbout(packet: Uint8Array, kind: Kind): Uint8Array {
  if (packet[0] >>> 4 === 4) {
    const to = readU32(packet, 12);
    const message = typeof kind === 'object'
      ? buildIcmpv4FragmentationNeeded(packet, kind.mtu)
      : buildIcmpv4DestinationUnreachable(kind === 'port-unreachable' ? ICMP_PORT_UNREACHABLE : ICMP_HOST_UNREACHABLE, packet);
    return buildIpv4Packet({ src: ROUTER4, dst: to, protocol: IPPROTO_ICMP }, message);
  }
  const to = packet.slice(8, 24) as Ipv6Address;
  const message = typeof kind === 'object'
    ? buildIcmpv6PacketTooBig(kind.mtu, packet, ROUTER6, to)
    : buildIcmpv6DestinationUnreachable(ICMPV6_ADMINISTRATIVELY_PROHIBITED, packet, ROUTER6, to);
  return buildIpv6Packet({ src: ROUTER6, dst: to, protocol: IPPROTO_ICMPV6 }, message);
}

/** A copy of a TCP packet with another sequence number (an attacker's guess). */
function withSeq(packet: Uint8Array, seq: number): Uint8Array {
  const copy = packet.slice();
  const tcpAt = copy[0] >>> 4 === 4 ? (copy[0] & 0x0f) * 4 : 40;
  writeU32(copy, tcpAt + 4, seq >>> 0);
  return copy;
}

function tcpFlags(packet: Uint8Array): number {
  const p = parsePacket(packet);
  return p.ok && p.l4.protocol === IPPROTO_TCP ? p.l4.flags : -1;
}

function pattern(n: number, from = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => ((from + i) * 7) & 0xff);
}

/** Write `data` from `src`, read it at `dst`, running the wire in between. */
function transfer(h: TwoHosts, src: TcpEndpoint, srcStack: Stack, dst: TcpEndpoint, dstStack: Stack, data: Uint8Array): Uint8Array {
  const got: Uint8Array[] = [];
  let received = 0;
  let written = 0;
  for (let guard = 0; guard < 100_000 && received < data.length; guard++) {
    if (written < data.length) {
      const n = src.connection.write(data.subarray(written), h.now);
      if (typeof n !== 'number') throw new Error(`write failed: ${n.error}`);
      written += n;
      srcStack.tcp.afterUserCall(src);
    }
    h.run(h.now + 10);
    const chunk = dst.connection.read(1 << 20, h.now);
    if (chunk.length > 0) {
      got.push(chunk);
      received += chunk.length;
      dstStack.tcp.afterUserCall(dst);
    }
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of got) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function connectPair(h: TwoHosts, host: string, port: number): { client: TcpEndpoint; server: TcpEndpoint } {
  const listener = h.b.listen({ port, family: host.includes(':') ? 6 : 4 });
  const client = h.a.connect({ host, port }, h.now);
  h.run(h.now + 100);
  const server = h.b.tcp.accept(listener);
  if (!server || client.connection.stateName !== 'ESTABLISHED') throw new Error(`no connection (${client.connection.stateName})`);
  return { client, server };
}

/** a connects to b's `host`:80; the router answers a's SYN with `kind` instead of passing it. */
function connectThroughRouter(host: string, kind: Kind): { h: TwoHosts; ep: TcpEndpoint } {
  const h = twoHosts();
  h.drop = (packet, from) => {
    if (from !== 'a' || tcpFlags(packet) !== TCP_SYN) return false;
    h.a.input(icmpAbout(packet, kind), h.now);
    return true;
  };
  const ep = h.a.connect({ host, port: 80 }, 0);
  h.run(100);
  return { h, ep };
}

describe('ICMP errors during connect', () => {
  it('port unreachable for our SYN fails the connect with ECONNREFUSED (RFC 1122 §4.2.3.9, Linux tcp_v4_err)', () => {
    const { h, ep } = connectThroughRouter('10.0.0.2', 'port-unreachable');
    expect(ep.connection.stateName).toBe('CLOSED');
    expect(ep.connection.error).toBe('ECONNREFUSED');
    expect(h.a.counters.get('IcmpInDestUnreachs')).toBe(1);
    expect(h.a.counters.get('TcpAttemptFails')).toBe(1);
    expect(h.a.tcp.connections.size).toBe(0);
  });

  it('IPv6 administratively prohibited: EACCES (icmpv6_err_convert)', () => {
    const { h, ep } = connectThroughRouter('fd00::2', 'prohibited6');
    expect(ep.connection.error).toBe('EACCES');
    expect(h.a.counters.get('Icmp6InDestUnreachs')).toBe(1);
  });

  it('host unreachable for a SYN-ACK drops the half-open request (Linux tcp_req_err): ListenDrops', () => {
    const h = twoHosts();
    const listener = h.a.listen({ port: 80 });
    let synAck: Uint8Array | undefined;
    h.drop = (packet, from) => {
      if (from === 'a' && tcpFlags(packet) === (TCP_SYN | TCP_ACK)) {
        synAck = packet.slice();
        return true;
      }
      return false;
    };
    h.b.connect({ host: '10.0.0.1', port: 80 }, 0);
    h.run(10);
    expect(listener.synQueue.size).toBe(1);
    // Port unreachable does not abort a request (abort = false in tcp_v4_err's call).
    h.a.input(icmpAbout(synAck!, 'port-unreachable'), h.now);
    expect(listener.synQueue.size).toBe(1);
    // One quoting another sequence number is out of window.
    h.a.input(icmpAbout(withSeq(synAck!, readU32(synAck!, 24) + 1), 'host-unreachable'), h.now);
    expect(listener.synQueue.size).toBe(1);
    expect(h.a.counters.get('TcpExtOutOfWindowIcmps')).toBe(1);
    h.a.input(icmpAbout(synAck!, 'host-unreachable'), h.now);
    expect(listener.synQueue.size).toBe(0);
    expect(h.a.counters.get('TcpExtListenDrops')).toBe(1);
    expect(h.a.tcp.connections.size).toBe(0);
  });
});

describe('ICMP errors that are not about a connection', () => {
  it('no socket for the quoted segment, a quoted UDP datagram, a truncated quote: IcmpInErrors', () => {
    const s = new Stack({ addresses: ['10.0.0.1'] });
    const us = parseIpAddress('10.0.0.1') as number;
    const peer = parseIpAddress('10.0.0.2') as number;
    const udp = buildIpv4Packet({ src: us, dst: peer, protocol: IPPROTO_UDP }, buildUdpDatagram({ srcPort: 1, dstPort: 2 }, us, peer));
    s.input(icmpAbout(udp, 'port-unreachable'), 0);
    expect(s.counters.get('IcmpInErrors')).toBe(1);
    const tcp = withSeq(buildIpv4Packet({ src: us, dst: peer, protocol: IPPROTO_TCP }, new Uint8Array(20).fill(0x50, 12, 13)), 1);
    s.input(icmpAbout(tcp, 'port-unreachable'), 0);
    expect(s.counters.get('IcmpInErrors')).toBe(2);
    const truncated = buildIcmpv4Message({ type: 3, code: 3, body: udp.subarray(0, 24) });
    s.input(buildIpv4Packet({ src: ROUTER4, dst: us, protocol: IPPROTO_ICMP }, truncated), 0);
    expect(s.counters.get('IcmpInErrors')).toBe(3);
    expect(s.counters.get('TcplabDropIcmpTruncated')).toBe(1);
    expect(s.counters.get('IcmpInDestUnreachs')).toBe(3);
    expect(s.takeOutput()).toEqual([]);
  });
});

describe('ICMP errors about a connection in TIME-WAIT', () => {
  it('are taken by the TIME-WAIT entry and ignored: nothing counted, nothing sent, TIME-WAIT holds (Linux tcp_v4_err)', () => {
    const h = twoHosts();
    const { client, server } = connectPair(h, '10.0.0.2', 80);
    let lastFromA: Uint8Array | undefined;
    h.drop = (packet, from) => {
      if (from === 'a') lastFromA = packet.slice();
      return false;
    };
    client.connection.close(h.now);
    h.a.tcp.afterUserCall(client);
    h.run(h.now + 50);
    server.connection.close(h.now);
    h.b.tcp.afterUserCall(server);
    h.run(h.now + 50);
    expect(client.stateName).toBe('TIME-WAIT');
    const errorsBefore = h.a.counters.get('IcmpInErrors');
    h.a.input(icmpAbout(lastFromA!, 'port-unreachable'), h.now);
    h.a.input(icmpAbout(lastFromA!, { mtu: 1200 }), h.now);
    expect(h.a.counters.get('IcmpInErrors')).toBe(errorsBefore);
    expect(h.a.counters.get('TcpExtOutOfWindowIcmps')).toBe(0);
    expect(h.a.takeOutput()).toEqual([]);
    expect(client.stateName).toBe('TIME-WAIT');
  });
});

describe.each([
  ['IPv4', '10.0.0.2', 1200, 1200 - 40 - 12],
  ['IPv6', 'fd00::2', 1280, 1280 - 60 - 12],
] as const)('path MTU discovery, %s (RFC 1191, RFC 8201)', (_family, host, mtu, mss) => {
  it(`a router that drops packets above ${mtu} bytes and says so: the MSS drops to ${mss}, 300 kB arrive byte-exact, no RTO`, () => {
    const h = twoHosts();
    const { client, server } = connectPair(h, host, 5000);
    const idle = connectPair(h, host, 5002);
    let reports = 0;
    h.drop = (packet, from) => {
      if (packet.length <= mtu) return false;
      reports++;
      (from === 'a' ? h.a : h.b).input(icmpAbout(packet, { mtu }), h.now);
      return true;
    };
    const data = pattern(300_000);
    const got = transfer(h, client, h.a, server, h.b, data);
    expect(got).toEqual(data);
    expect(client.connection.sendMss).toBe(mss);
    expect(client.connection.counters.timeouts).toBe(0);
    expect(reports).toBeGreaterThan(0);
    expect(h.a.counters.get(host.includes(':') ? 'Icmp6InPktTooBigs' : 'IcmpInDestUnreachs')).toBe(reports);
    const peer = parseIpAddress(host) as IpAddress;
    expect(h.a.pmtu.learned(peer, h.now)).toBe(mtu);
    // Another connection to the same host, idle meanwhile, sends smaller segments from now on
    // (Linux: tcp_current_mss sees the route's new MTU), without resending anything.
    expect(idle.client.connection.sendMss).toBe(mss);
    expect(idle.client.connection.counters.retransSegs).toBe(0);

    // A new connection to the same host starts with the learned MTU: its SYN still offers the
    // link's MSS (Linux: advmss from the device), its segments fit at once.
    reports = 0;
    const second = connectPair(h, host, 5001);
    expect(second.client.connection.sendMss).toBe(mss);
    const got2 = transfer(h, second.client, h.a, second.server, h.b, data.subarray(0, 50_000));
    expect(got2).toEqual(data.subarray(0, 50_000));
    expect(reports).toBe(0);
    expect(h.log.some((l) => / > .*Flags \[S\].*mss 14[46]0/.test(l))).toBe(true);

    // mtu_expires (600 s): then the link's MTU is tried again.
    expect(h.a.pmtu.learned(peer, h.now + 600_000)).toBeUndefined();
  });
});

describe('spoofed ICMP errors (RFC 5927 §4.1)', () => {
  it('port unreachable and fragmentation needed quoting sequence numbers we never sent change nothing', () => {
    const h = twoHosts();
    const { client, server } = connectPair(h, '10.0.0.2', 6000);
    const sent: Uint8Array[] = [];
    h.drop = (packet, from) => {
      if (from === 'a' && packet.length > 100) sent.push(packet.slice());
      return false;
    };
    const data = pattern(200_000);
    const first = transfer(h, client, h.a, server, h.b, data.subarray(0, 100_000));
    expect(first.length).toBe(100_000);
    const sample = sent.at(-1)!;
    const una = client.connection.sndUna;
    for (const seq of [una + 0x4000_0000, una - 70_000, una + 0x8000_0000]) {
      h.a.input(icmpAbout(withSeq(sample, seq), 'port-unreachable'), h.now);
      h.a.input(icmpAbout(withSeq(sample, seq), 'host-unreachable'), h.now);
      h.a.input(icmpAbout(withSeq(sample, seq), { mtu: 576 }), h.now);
    }
    expect(h.a.counters.get('TcpExtOutOfWindowIcmps')).toBe(9);
    expect(client.connection.stateName).toBe('ESTABLISHED');
    expect(client.connection.softError).toBeUndefined();
    expect(client.connection.sendMss).toBe(1448);
    expect(h.a.pmtu.size).toBe(0);
    const rest = transfer(h, client, h.a, server, h.b, data.subarray(100_000));
    expect(rest).toEqual(data.subarray(100_000));
  });
});

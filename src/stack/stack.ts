// The host: everything shared between connections. Sans-IO: packets come in through
// `input(packet, now)`, replies are queued and taken with `takeOutput()`, and the stack
// never reads a clock or touches a device.
//
// Today it answers ICMP echo on its addresses, resets TCP segments (no TCP socket exists
// yet: the engine is the next layer to arrive), answers UDP with ICMP port unreachable,
// and counts every packet it drops under a Linux or tcplab counter.
import { copyIpAddress, ipEquals, parseIpAddress, type IpAddress } from '../wire/address.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ip-protocol.js';
import { ICMP_DEST_UNREACHABLE, ICMP_ECHO_REQUEST, ICMP_PORT_UNREACHABLE, buildIcmpv4DestinationUnreachable } from '../wire/icmpv4.js';
import { ICMPV6_DEST_UNREACHABLE, ICMPV6_ECHO_REQUEST, ICMPV6_PORT_UNREACHABLE, buildIcmpv6DestinationUnreachable } from '../wire/icmpv6.js';
import { parsePacket, type IpHeader } from '../wire/packet.js';
import { TCP_FIN, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { Counters, dropCounterName, type CounterName } from './counters.js';
import { echoReply } from './icmp-echo.js';
import { IcmpErrorInput } from './icmp-errors.js';
import { IcmpRateLimiter, type IcmpRateLimitOptions } from './icmp-rate-limit.js';
import { PmtuCache, type PmtuCacheOptions } from './pmtu-cache.js';
import { ipPacket } from './ip-output.js';
import type { TcpCounters } from '../tcp/counters.js';
import type { DropReason } from '../tcp/events.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';
import { EventRing } from './event-ring.js';
import type { Listener } from './listener.js';
import type { TcpEndpoint } from './tcp-endpoint.js';
import { TcpLayer, type TcpLayerOptions } from './tcp-layer.js';

export interface StackOptions extends TcpLayerOptions, IcmpRateLimitOptions, PmtuCacheOptions {
  /** The stack's own addresses, e.g. ['10.77.0.2', 'fd00:77::2']. */
  addresses: readonly string[];
  /** The link's MTU: MSS = MTU − 40 (IPv4) or − 60 (IPv6). Default 1500. */
  mtu?: number;
  /** How many recent events `stack.events` keeps (`tcplab trace`); default 4096; 0 turns the
   *  trace off (for benchmarks: building and keeping events costs a few percent of throughput). */
  eventRingCapacity?: number;
}

/** Counters the TCP layer increments when it drops a packet, and the trace's word for why. */
const TCP_LAYER_DROPS: Partial<Record<CounterName, DropReason>> = {
  TcpExtListenOverflows: 'accept-queue-full',
  TcpExtTCPReqQFullDrop: 'syn-queue-full',
  TcpExtSyncookiesFailed: 'bad-syn-cookie',
};

/** The engines' counters under the Linux MIB names they correspond to. */
function linuxTcpCounters(t: TcpCounters): Partial<Record<CounterName, number>> {
  return {
    TcpActiveOpens: t.activeOpens,
    TcpPassiveOpens: t.passiveOpens,
    TcpAttemptFails: t.attemptFails,
    TcpEstabResets: t.estabResets,
    TcpOutSegs: t.outSegs,
    TcpRetransSegs: t.retransSegs,
    TcpOutRsts: t.outRsts,
    TcpExtTCPChallengeACK: t.challengeAcks,
    TcpExtPAWSEstab: t.pawsEstabRejected,
    TcpExtTCPAbortOnData: t.abortOnData,
    TcpExtTCPAbortOnClose: t.abortOnClose,
    TcpExtTCPTimeouts: t.timeouts,
    TcpExtTCPFastRetrans: t.fastRetransmits,
    TcpExtTCPSACKReorder: t.sackReorder,
    TcpExtTCPLostRetransmit: t.lostRetransmits,
    TcpExtTCPDSACKUndo: t.dsackUndos,
    TcpExtTCPFullUndo: t.timestampUndos,
    TcpExtDelayedACKs: t.delayedAcks,
    TcpExtTCPSynRetrans: t.synRetrans,
    TcpExtTCPAbortOnTimeout: t.abortOnTimeout,
    TcpExtTW: t.timeWaits,
    TcpExtTWKilled: t.timeWaitsKilled,
    TcpExtTCPLossProbes: t.lossProbes,
    TcpExtTCPACKSkippedChallenge: t.challengeAcksSkipped,
    TcpExtTCPACKSkippedSeq: t.oowAcksSkipped,
    TcpExtTCPWinProbe: t.windowProbes,
    TcpExtTCPKeepAlive: t.keepaliveProbes,
    TcpExtTCPZeroWindowDrop: t.zeroWindowDrops,
    TcplabDropTcpOutOfWindow: t.outOfWindow,
    TcplabDropTcpBadAck: t.ackOutOfRange + t.badHandshakeAcks,
    TcplabDropTcpNoAck: t.noAckDrops,
  };
}

export class Stack {
  readonly counters = new Counters();
  readonly addresses: readonly IpAddress[];
  readonly tcp: TcpLayer;
  /** Path MTUs learned from ICMP, per destination (RFC 1191, RFC 8201). */
  readonly pmtu: PmtuCache;
  private readonly icmpRateLimit: IcmpRateLimiter;
  private readonly icmpErrors: IcmpErrorInput;
  /** Recent events of every connection, and the stack's own drops (`tcplab trace`). */
  readonly events: EventRing;
  private output: Uint8Array[] = [];
  /** The TCP segment being handed to the TCP layer, for the drop events it causes (three
   *  fields, not an object: nothing is allocated per packet). */
  private inputIp: IpHeader | undefined;
  private inputSegment: TcpSegment | undefined;
  private inputNow = 0;

  constructor(options: StackOptions) {
    this.addresses = options.addresses.map((text) => {
      const address = parseIpAddress(text);
      if (address === undefined) {
        throw Object.assign(new TypeError(`"${text}" is not an IPv4 or IPv6 address: give the stack's own addresses, e.g. 10.77.0.2`), {
          code: 'ERR_INVALID_ARG_VALUE',
        });
      }
      return address;
    });
    this.events = new EventRing(options.eventRingCapacity);
    const events = options.events;
    const ring = this.events;
    this.tcp = new TcpLayer(this.addresses, options.mtu ?? 1500, this.counters, (packet) => this.sendIp(packet), {
      ...options,
      // Capacity 0 turns the trace off: no sink, so the engine builds no event it does not need.
      events: ring.capacity === 0 ? events : (event, local, remote) => {
        ring.record(event, local, remote);
        events?.(event, local, remote);
      },
    });
    this.pmtu = new PmtuCache(options.mtu ?? 1500, options);
    this.tcp.pathMtu = (remote, now) => this.pmtu.learned(remote, now);
    this.icmpRateLimit = new IcmpRateLimiter(options);
    this.icmpErrors = new IcmpErrorInput(this.counters, this.tcp, this.pmtu);
    this.counters.addSource(() => linuxTcpCounters(this.tcp.counterTotals()));
    this.counters.addSource(() => ({ TcpCurrEstab: this.currEstab() }));
    this.counters.onIncrement((name) => {
      const reason = TCP_LAYER_DROPS[name];
      if (reason !== undefined && this.inputIp !== undefined) this.recordDrop(reason, undefined, this.inputIp, this.inputSegment, this.inputNow);
    });
  }

  /** TcpCurrEstab (RFC 1213 tcpCurrEstab): connections in ESTABLISHED or CLOSE-WAIT. */
  private currEstab(): number {
    let n = 0;
    for (const ep of this.tcp.connections.values()) {
      const state = ep.connection.stateName;
      if (state === 'ESTABLISHED' || state === 'CLOSE-WAIT') n++;
    }
    return n;
  }

  /** A packet the stack (not a connection) dropped, in the trace with what its header said. */
  private recordDrop(reason: DropReason, layer: string | undefined, ip: IpHeader | undefined, segment: TcpSegment | undefined, now: number): void {
    let local: Endpoint | undefined;
    let remote: Endpoint | undefined;
    if (ip !== undefined) {
      // Copies: the header's addresses may be views into the link's receive buffer.
      local = { address: copyIpAddress(ip.dst), port: segment?.dstPort ?? 0 };
      remote = { address: copyIpAddress(ip.src), port: segment?.srcPort ?? 0 };
    }
    const len = segment === undefined ? undefined : segment.payload.length + (segment.flags & TCP_SYN ? 1 : 0) + (segment.flags & TCP_FIN ? 1 : 0);
    this.events.record({ type: 'drop', reason, ...(layer ? { layer } : {}), ...(segment ? { seq: segment.seq, len } : {}), at: now }, local, remote);
  }

  /**
   * Take one packet from the link. Never throws on anything that arrives. `checksumTrusted`:
   * the device vouched for the transport checksum (it verified it, or the packet never left
   * this host and carries a partial one: virtio-net DATA_VALID / NEEDS_CSUM), so it is not
   * verified again. A packet may be larger than the MTU (a coalesced super-packet): it is one
   * segment like any other.
   */
  input(packet: Uint8Array, now: number, checksumTrusted = false): void {
    const version = packet.length > 0 ? packet[0] >>> 4 : 0;
    this.counters.inc(version === 6 ? 'Ip6InReceives' : 'IpInReceives');
    const parsed = parsePacket(packet, !checksumTrusted);
    if (!parsed.ok) {
      this.counters.inc(dropCounterName(parsed.layer, parsed.reason));
      this.countLinuxDrop(parsed.layer, parsed.reason, version);
      this.recordDrop(parsed.reason, parsed.layer, parsed.ip, undefined, now);
      return;
    }
    const { ip, l4 } = parsed;
    if (!this.isOurs(ip.dst)) {
      // Multicast the kernel sends on the link (MLD reports, router solicitations) and
      // unicast for other hosts: tcplab is a host, not a router (Linux: InAddrErrors).
      this.counters.inc(ip.version === 6 ? 'Ip6InAddrErrors' : 'IpInAddrErrors');
      this.recordDrop('not-our-address', undefined, ip, l4.protocol === IPPROTO_TCP ? l4 : undefined, now);
      return;
    }
    this.counters.inc(ip.version === 6 ? 'Ip6InDelivers' : 'IpInDelivers');
    switch (l4.protocol) {
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6: {
        const v6 = l4.protocol === IPPROTO_ICMPV6;
        this.counters.inc(v6 ? 'Icmp6InMsgs' : 'IcmpInMsgs');
        if (l4.type === (v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST)) {
          this.counters.inc(v6 ? 'Icmp6InEchos' : 'IcmpInEchos');
          const reply = echoReply(ip, l4);
          if (reply) {
            this.counters.inc(v6 ? 'Icmp6OutEchoReplies' : 'IcmpOutEchoReps');
            this.send(reply, v6, true);
          }
          return;
        }
        // Errors go to the connection whose segment they quote (src/stack/icmp-errors.ts).
        this.icmpErrors.input(l4, now);
        return;
      }
      case IPPROTO_TCP: {
        this.counters.inc('TcpInSegs');
        this.inputIp = ip;
        this.inputSegment = l4;
        this.inputNow = now;
        try {
          this.tcp.input(ip, l4, now);
        } finally {
          this.inputIp = undefined;
          this.inputSegment = undefined;
        }
        return;
      }
      case IPPROTO_UDP: {
        this.counters.inc('UdpNoPorts');
        this.sendPortUnreachable(ip, packet, now);
        return;
      }
    }
  }

  /** Packets produced since the last call, in order. */
  takeOutput(): Uint8Array[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** The earliest time the stack needs `poll` to be called. */
  nextDeadline(): number | undefined {
    return this.tcp.nextDeadline();
  }

  /** Fire every timer due at `now`. */
  poll(now: number): void {
    this.tcp.poll(now);
  }

  // Socket calls, for the API layer above (src/net).

  listen(options: { address?: string; family?: 4 | 6; port: number; backlog?: number; reuseAddress?: boolean }): Listener {
    return this.tcp.listen({ ...options, address: options.address === undefined ? undefined : this.parseAddress(options.address) });
  }

  connect(options: { host: string; port: number; localAddress?: string; localPort?: number }, now: number): TcpEndpoint {
    return this.tcp.connect(
      {
        remoteAddress: this.parseAddress(options.host),
        remotePort: options.port,
        localAddress: options.localAddress === undefined ? undefined : this.parseAddress(options.localAddress),
        localPort: options.localPort,
      },
      now,
    );
  }

  private parseAddress(text: string): IpAddress {
    const address = parseIpAddress(text);
    if (address === undefined) {
      throw Object.assign(new TypeError(`"${text}" is not an IPv4 or IPv6 address (tcplab does not resolve names)`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    return address;
  }

  /** A packet from a layer above, counted as IP output. */
  private sendIp(packet: Uint8Array): void {
    this.send(packet, packet[0] >>> 4 === 6, false);
  }

  isOurs(address: IpAddress): boolean {
    for (const own of this.addresses) if (ipEquals(own, address)) return true;
    return false;
  }

  private send(packet: Uint8Array, v6: boolean, icmp: boolean): void {
    this.counters.inc(v6 ? 'Ip6OutRequests' : 'IpOutRequests');
    if (icmp) this.counters.inc(v6 ? 'Icmp6OutMsgs' : 'IcmpOutMsgs');
    this.output.push(packet);
  }

  /**
   * RFC 1122 §3.2.2.1 / RFC 4443 §3.1: a datagram for a port nobody listens on, within the rate
   * limits (src/stack/icmp-rate-limit.ts; Linux counts what they hold back in
   * OutRateLimitGlobal / OutRateLimitHost).
   */
  private sendPortUnreachable(ip: IpHeader, packet: Uint8Array, now: number): void {
    const v6 = ip.version === 6;
    const verdict = v6
      ? this.icmpRateLimit.allow(ip.src, ICMPV6_DEST_UNREACHABLE, ICMPV6_PORT_UNREACHABLE, now)
      : this.icmpRateLimit.allow(ip.src, ICMP_DEST_UNREACHABLE, ICMP_PORT_UNREACHABLE, now);
    if (verdict === 'global') {
      // icmpv6_global_allow counts the IPv4 MIB's OutRateLimitGlobal too: one bucket, one count.
      this.counters.inc('IcmpOutRateLimitGlobal');
      return;
    }
    if (verdict === 'host') {
      this.counters.inc(v6 ? 'Icmp6OutRateLimitHost' : 'IcmpOutRateLimitHost');
      return;
    }
    this.counters.inc(v6 ? 'Icmp6OutDestUnreachs' : 'IcmpOutDestUnreachs');
    if (ip.version === 4) {
      this.send(ipPacket(ip.dst, ip.src, IPPROTO_ICMP, buildIcmpv4DestinationUnreachable(ICMP_PORT_UNREACHABLE, packet)), false, true);
    } else {
      this.send(ipPacket(ip.dst, ip.src, IPPROTO_ICMPV6, buildIcmpv6DestinationUnreachable(ICMPV6_PORT_UNREACHABLE, packet, ip.dst, ip.src)), true, true);
    }
  }

  /** The Linux MIB counter a parse failure also feeds, so `nstat` reads as on Linux. */
  private countLinuxDrop(layer: string, reason: string, version: number): void {
    const v6 = version === 6;
    switch (layer) {
      case 'ip':
      case 'ipv4':
      case 'ipv6':
        if (reason === 'truncated') this.counters.inc(v6 ? 'Ip6InTruncatedPkts' : 'IpExtInTruncatedPkts');
        else if (reason === 'unknown-protocol') this.counters.inc(v6 ? 'Ip6InUnknownProtos' : 'IpInUnknownProtos');
        else if (reason === 'fragment') this.counters.inc(v6 ? 'Ip6ReasmReqds' : 'IpReasmReqds');
        else this.counters.inc(v6 ? 'Ip6InHdrErrors' : 'IpInHdrErrors');
        return;
      case 'tcp':
        this.counters.inc('TcpInErrs');
        if (reason === 'bad-checksum') this.counters.inc('TcpInCsumErrors');
        return;
      case 'udp':
        this.counters.inc('UdpInErrors');
        if (reason === 'bad-checksum') this.counters.inc('UdpInCsumErrors');
        return;
      case 'icmpv4':
        this.counters.inc('IcmpInErrors');
        if (reason === 'bad-checksum') this.counters.inc('IcmpInCsumErrors');
        return;
      case 'icmpv6':
        this.counters.inc('Icmp6InErrors');
        if (reason === 'bad-checksum') this.counters.inc('Icmp6InCsumErrors');
        return;
    }
  }
}

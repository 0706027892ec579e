// Linux-named counters (the MIB names `nstat` prints), plus tcplab's own for every
// reason a packet was dropped. Counters only grow; `delta()` gives what moved since the
// last call, as `nstat` does.
import { PARSE_FAILURES, WIRE_LAYERS, type ParseFailure, type WireLayer } from '../wire/parse-failure.js';

/**
 * Counters with a Linux MIB name (/proc/net/snmp, /proc/net/snmp6, /proc/net/netstat), in the
 * order `nstat` prints them: snmp (Ip, Icmp, Tcp, Udp), then snmp6 (Ip6, Icmp6), then netstat
 * (TcpExt, IpExt).
 */
export const LINUX_COUNTERS = [
  'IpInReceives',
  'IpInHdrErrors',
  'IpInAddrErrors',
  'IpInUnknownProtos',
  'IpInDelivers',
  'IpOutRequests',
  'IpReasmReqds',
  'IcmpInMsgs',
  'IcmpInErrors',
  'IcmpInCsumErrors',
  'IcmpInDestUnreachs',
  'IcmpInTimeExcds',
  'IcmpInParmProbs',
  'IcmpInSrcQuenchs',
  'IcmpInRedirects',
  'IcmpInEchos',
  'IcmpInEchoReps',
  'IcmpOutMsgs',
  'IcmpOutRateLimitGlobal',
  'IcmpOutRateLimitHost',
  'IcmpOutDestUnreachs',
  'IcmpOutEchoReps',
  'TcpActiveOpens',
  'TcpPassiveOpens',
  'TcpAttemptFails',
  'TcpEstabResets',
  'TcpCurrEstab',
  'TcpInSegs',
  'TcpOutSegs',
  'TcpRetransSegs',
  'TcpInErrs',
  'TcpOutRsts',
  'TcpInCsumErrors',
  'UdpInDatagrams',
  'UdpNoPorts',
  'UdpInErrors',
  'UdpInCsumErrors',
  'Ip6InReceives',
  'Ip6InHdrErrors',
  'Ip6InAddrErrors',
  'Ip6InUnknownProtos',
  'Ip6InTruncatedPkts',
  'Ip6InDelivers',
  'Ip6OutRequests',
  'Ip6ReasmReqds',
  'Icmp6InMsgs',
  'Icmp6InErrors',
  'Icmp6OutMsgs',
  'Icmp6InCsumErrors',
  'Icmp6OutRateLimitHost',
  'Icmp6InDestUnreachs',
  'Icmp6InPktTooBigs',
  'Icmp6InTimeExcds',
  'Icmp6InParmProblems',
  'Icmp6InEchos',
  'Icmp6InEchoReplies',
  'Icmp6OutDestUnreachs',
  'Icmp6OutEchoReplies',
  'TcpExtSyncookiesSent',
  'TcpExtSyncookiesRecv',
  'TcpExtSyncookiesFailed',
  'TcpExtOutOfWindowIcmps',
  'TcpExtTW',
  'TcpExtTWRecycled',
  'TcpExtTWKilled',
  'TcpExtPAWSEstab',
  'TcpExtDelayedACKs',
  'TcpExtListenOverflows',
  'TcpExtListenDrops',
  'TcpExtTCPLossProbes',
  'TcpExtTCPTimeouts',
  'TcpExtTCPFastRetrans',
  'TcpExtTCPSACKReorder',
  'TcpExtTCPLostRetransmit',
  'TcpExtTCPDSACKUndo',
  'TcpExtTCPFullUndo',
  'TcpExtTCPAbortOnData',
  'TcpExtTCPAbortOnClose',
  'TcpExtTCPAbortOnTimeout',
  'TcpExtTCPReqQFullDoCookies',
  'TcpExtTCPReqQFullDrop',
  'TcpExtTCPChallengeACK',
  'TcpExtTCPSynRetrans',
  'TcpExtTCPTimeWaitOverflow',
  'TcpExtTCPACKSkippedSeq',
  'TcpExtTCPACKSkippedTimeWait',
  'TcpExtTCPACKSkippedChallenge',
  'TcpExtTCPWinProbe',
  'TcpExtTCPKeepAlive',
  'TcpExtTCPZeroWindowDrop',
  // Linux 6.16+: PAWS rejections in TIME-WAIT (before, they counted as PAWSEstab).
  'TcpExtPAWSTimewait',
  // IPv4's truncated packets are counted in /proc/net/netstat's IpExt line, not in snmp's Ip.
  'IpExtInTruncatedPkts',
] as const;

export type LinuxCounter = (typeof LINUX_COUNTERS)[number];

/** `TcplabDrop<Layer><Reason>`: one counter per (parser, reason) a packet was dropped for. */
export type DropCounter = `TcplabDrop${string}`;

export type CounterName = LinuxCounter | DropCounter;

const LAYER_NAMES: Record<WireLayer, string> = { ip: 'Ip', ipv4: 'Ipv4', ipv6: 'Ipv6', tcp: 'Tcp', udp: 'Udp', icmpv4: 'Icmp', icmpv6: 'Icmp6' };

/** The counter that records a packet dropped by `layer`'s parser for `reason`,
 *  e.g. ('tcp', 'bad-checksum') → TcplabDropTcpBadChecksum. */
export function dropCounterName(layer: WireLayer, reason: ParseFailure): DropCounter {
  const words = reason.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `TcplabDrop${LAYER_NAMES[layer]}${words.join('')}`;
}

/** Segments the TCP engine dropped for a reason Linux has no MIB counter for (RFC 9293
 *  §3.10.7.4's checks; Linux names them only as SKB_DROP_REASON_* in its drop monitor). */
export const ENGINE_DROP_COUNTERS = ['TcplabDropTcpOutOfWindow', 'TcplabDropTcpBadAck', 'TcplabDropTcpNoAck'] as const satisfies readonly DropCounter[];

/** Every drop counter name, in a stable order: the parsers' (layer by layer), then the engine's. */
export const DROP_COUNTERS: readonly DropCounter[] = [...WIRE_LAYERS.flatMap((layer) => PARSE_FAILURES.map((reason) => dropCounterName(layer, reason))), ...ENGINE_DROP_COUNTERS];

export class Counters {
  private readonly values = new Map<string, number>();
  private lastRead = new Map<string, number>();
  private readonly sources: (() => Partial<Record<CounterName, number>>)[] = [];
  private incremented: ((name: CounterName) => void) | undefined;

  constructor(names: readonly string[] = [...LINUX_COUNTERS, ...DROP_COUNTERS]) {
    for (const name of names) this.values.set(name, 0);
  }

  inc(name: CounterName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
    if (this.incremented !== undefined) this.incremented(name);
  }

  /** Tell `listener` of every inc() as it happens (the stack turns drop counters into trace
   *  events this way). One listener; a second call replaces the first. */
  onIncrement(listener: ((name: CounterName) => void) | undefined): void {
    this.incremented = listener;
  }

  /** Counters kept elsewhere (each connection's engine) and added in when read. */
  addSource(source: () => Partial<Record<CounterName, number>>): void {
    this.sources.push(source);
  }

  get(name: CounterName): number {
    let value = this.values.get(name) ?? 0;
    for (const source of this.sources) value += source()[name] ?? 0;
    return value;
  }

  /** Every counter with its value, including zeros, in a stable order. */
  snapshot(): Record<string, number> {
    const all: Record<string, number> = Object.fromEntries(this.values);
    for (const source of this.sources) {
      for (const [name, value] of Object.entries(source())) all[name] = (all[name] ?? 0) + (value ?? 0);
    }
    return all;
  }

  /** The counters that moved since the previous call, with how much (as `nstat` prints). */
  delta(): Record<string, number> {
    const now = this.snapshot();
    const moved: Record<string, number> = {};
    for (const [name, value] of Object.entries(now)) {
      const change = value - (this.lastRead.get(name) ?? 0);
      if (change !== 0) moved[name] = change;
    }
    this.lastRead = new Map(Object.entries(now));
    return moved;
  }
}

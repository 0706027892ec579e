// ICMP errors that arrive: what each message means (Linux icmp_err_convert, icmpv6_err_convert
// and the type switches of tcp_v4_err / tcp_v6_err), which connection's segment it quotes, and
// what the connection made of it. RFC 1122 §3.2.2 ("MUST pass ... to the transport layer"),
// RFC 4443 §2.4(a), RFC 5927 (the quote is checked by the connection before anything changes).
import { ipEquals, type IpAddress } from '../wire/address.js';
import { readU32 } from '../wire/bytes.js';
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_HOST_UNREACHABLE,
  ICMP_NET_UNREACHABLE,
  ICMP_PARAMETER_PROBLEM,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
  type Icmpv4Message,
} from '../wire/icmpv4.js';
import {
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_NO_ROUTE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAMETER_PROBLEM,
  ICMPV6_TIME_EXCEEDED,
  type Icmpv6Message,
} from '../wire/icmpv6.js';
import { parseInvokingPacket } from '../wire/invoking-packet.js';
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ip-protocol.js';
import type { TcpErrorCode } from '../tcp/errors.js';
import type { IcmpErrorReport, IcmpIgnoredReport, IcmpOutcome, IcmpPathMtuReport, IcmpReport } from '../tcp/icmp-report.js';
import { dropCounterName, type Counters } from './counters.js';
import type { PmtuCache } from './pmtu-cache.js';
import type { TcpLayer } from './tcp-layer.js';

/** What a message means before the quoted segment is known. */
export type IcmpMeaning =
  | Omit<IcmpErrorReport, 'seq'>
  | Omit<IcmpPathMtuReport, 'seq' | 'routeMtu'>
  | Omit<IcmpIgnoredReport, 'seq'>;

/** Destination Unreachable codes 0-15 (RFC 792, RFC 1812 §5.2.7.1) with Linux's errno
 *  (icmp_err_convert; its `fatal` flag is for UDP and raw sockets, TCP does not read it). */
const V4_UNREACHABLE: readonly (readonly [string, TcpErrorCode])[] = [
  ['net-unreachable', 'ENETUNREACH'],
  ['host-unreachable', 'EHOSTUNREACH'],
  ['protocol-unreachable', 'ENOPROTOOPT'],
  ['port-unreachable', 'ECONNREFUSED'],
  ['frag-needed', 'EMSGSIZE'],
  ['source-route-failed', 'EOPNOTSUPP'],
  ['net-unknown', 'ENETUNREACH'],
  ['host-unknown', 'EHOSTDOWN'],
  ['host-isolated', 'ENONET'],
  ['net-prohibited', 'ENETUNREACH'],
  ['host-prohibited', 'EHOSTUNREACH'],
  ['net-unreachable-tos', 'ENETUNREACH'],
  ['host-unreachable-tos', 'EHOSTUNREACH'],
  ['admin-prohibited', 'EHOSTUNREACH'],
  ['host-precedence-violation', 'EHOSTUNREACH'],
  ['precedence-cutoff', 'EHOSTUNREACH'],
];

/** RFC 4443 §3.1 codes 0-6 with Linux's errno and `fatal` (icmpv6_err_convert's tab_unreach);
 *  for TCP, `fatal` decides whether a half-open request is dropped (tcp_req_err). */
const V6_UNREACHABLE: readonly (readonly [string, TcpErrorCode, boolean])[] = [
  ['no-route', 'ENETUNREACH', false],
  ['admin-prohibited', 'EACCES', true],
  ['beyond-scope', 'EHOSTUNREACH', false],
  ['address-unreachable', 'EHOSTUNREACH', false],
  ['port-unreachable', 'ECONNREFUSED', true],
  ['policy-failed', 'EACCES', true],
  ['reject-route', 'EACCES', true],
];

/**
 * An ICMP message as tcp_v4_err reads it, or undefined for one that never reaches TCP: not an
 * error, or Destination Unreachable with a code above 15 (icmp_unreach: "if (icmph->code >
 * NR_ICMP_UNREACH) goto out").
 */
export function icmpv4Meaning(message: Icmpv4Message): IcmpMeaning | undefined {
  const { type, code } = message;
  switch (type) {
    case ICMP_DEST_UNREACHABLE: {
      const entry = V4_UNREACHABLE[code];
      if (entry === undefined) return undefined;
      const [name, error] = entry;
      // tcp_v4_err calls tcp_req_err with abort = "type == ICMP_PARAMETERPROB || type ==
      // ICMP_TIME_EXCEEDED || (type == ICMP_DEST_UNREACH && (code == ICMP_NET_UNREACH || code
      // == ICMP_HOST_UNREACH))".
      const netOrHost = code === ICMP_NET_UNREACHABLE || code === ICMP_HOST_UNREACHABLE;
      // RFC 1191 §4: the Next-Hop MTU in the low 16 bits (ip_no_pmtu_disc 0, Linux's default).
      if (code === ICMP_FRAGMENTATION_NEEDED) return { action: 'path-mtu', name, mtu: message.nextHopMtu, abortsRequest: false };
      return { action: 'error', name, error, revertsRto: netOrHost, abortsRequest: netOrHost };
    }
    case ICMP_TIME_EXCEEDED:
      return { action: 'error', name: 'time-exceeded', error: 'EHOSTUNREACH', revertsRto: false, abortsRequest: true };
    case ICMP_PARAMETER_PROBLEM:
      return { action: 'error', name: 'parameter-problem', error: 'EPROTO', revertsRto: false, abortsRequest: true };
    case ICMP_SOURCE_QUENCH:
      // RFC 6633: "A TCP implementation MUST silently discard any received ICMP Source Quench".
      return { action: 'ignore', name: 'source-quench', abortsRequest: false };
    case ICMP_REDIRECT:
      // Linux's do_redirect updates the route's gateway; tcplab's one link has none.
      return { action: 'ignore', name: 'redirect', abortsRequest: false };
    default:
      return undefined;
  }
}

/** An ICMPv6 message as tcp_v6_err reads it (after icmpv6_err_convert), or undefined. */
export function icmpv6Meaning(message: Icmpv6Message): IcmpMeaning | undefined {
  const { type, code } = message;
  switch (type) {
    case ICMPV6_DEST_UNREACHABLE: {
      // An unknown code: "*err = EPROTO", fatal.
      const [name, error, fatal] = V6_UNREACHABLE[code] ?? [`unreachable-code-${code}`, 'EPROTO', true];
      return { action: 'error', name, error, revertsRto: code === ICMPV6_NO_ROUTE, abortsRequest: fatal };
    }
    case ICMPV6_PACKET_TOO_BIG:
      return { action: 'path-mtu', name: 'packet-too-big', mtu: message.mtu, abortsRequest: false };
    case ICMPV6_TIME_EXCEEDED:
      return { action: 'error', name: 'time-exceeded', error: 'EHOSTUNREACH', revertsRto: false, abortsRequest: false };
    case ICMPV6_PARAMETER_PROBLEM:
      return { action: 'error', name: 'parameter-problem', error: 'EPROTO', revertsRto: false, abortsRequest: true };
    default:
      return undefined;
  }
}

/** The Linux MIB counter of each incoming ICMP error type. */
function inCounter(v6: boolean, type: number) {
  if (v6) {
    if (type === ICMPV6_DEST_UNREACHABLE) return 'Icmp6InDestUnreachs' as const;
    if (type === ICMPV6_PACKET_TOO_BIG) return 'Icmp6InPktTooBigs' as const;
    if (type === ICMPV6_TIME_EXCEEDED) return 'Icmp6InTimeExcds' as const;
    if (type === ICMPV6_PARAMETER_PROBLEM) return 'Icmp6InParmProblems' as const;
    return undefined;
  }
  if (type === ICMP_DEST_UNREACHABLE) return 'IcmpInDestUnreachs' as const;
  if (type === ICMP_TIME_EXCEEDED) return 'IcmpInTimeExcds' as const;
  if (type === ICMP_PARAMETER_PROBLEM) return 'IcmpInParmProbs' as const;
  if (type === ICMP_SOURCE_QUENCH) return 'IcmpInSrcQuenchs' as const;
  if (type === ICMP_REDIRECT) return 'IcmpInRedirects' as const;
  return undefined;
}

/** The stack's handler for every ICMP and ICMPv6 message that is not an echo request. */
export class IcmpErrorInput {
  constructor(
    private readonly counters: Counters,
    private readonly tcp: TcpLayer,
    private readonly pmtu: PmtuCache,
  ) {}

  input(message: Icmpv4Message | Icmpv6Message, now: number): void {
    const v6 = message.protocol === IPPROTO_ICMPV6;
    const counter = inCounter(v6, message.type);
    if (counter !== undefined) this.counters.inc(counter);
    const meaning = v6 ? icmpv6Meaning(message as Icmpv6Message) : icmpv4Meaning(message as Icmpv4Message);
    if (meaning === undefined) return;
    const inErrors = v6 ? 'Icmp6InErrors' : 'IcmpInErrors';
    // icmp_socket_deliver / icmpv6_notify: the quote must hold the IP header and 8 bytes of the
    // transport header, else InErrors.
    const quoted = parseInvokingPacket(message.body, v6 ? 6 : 4);
    if (!quoted.ok) {
      this.counters.inc(dropCounterName(quoted.layer, quoted.reason));
      this.counters.inc(inErrors);
      return;
    }
    if (quoted.protocol !== IPPROTO_TCP) {
      // udp_err finds no socket (tcplab has no UDP sockets): InErrors. Others: nobody listens.
      if (quoted.protocol === IPPROTO_UDP) this.counters.inc(inErrors);
      return;
    }
    const seq = readU32(quoted.transport, 4);
    // The quoted segment went from us (its source) to the peer (its destination).
    const peer = quoted.dst;
    let pathMtu: { reported: number; routeMtu: number } | undefined;
    const outcome = this.tcp.deliverIcmp(quoted.src, quoted.srcPort, peer, quoted.dstPort, (ep) => {
      let report: IcmpReport;
      if (meaning.action === 'path-mtu') {
        pathMtu = { reported: meaning.mtu, routeMtu: this.pmtu.proposed(peer, meaning.mtu, now) };
        report = { ...meaning, seq, routeMtu: pathMtu.routeMtu };
      } else {
        report = { ...meaning, seq };
      }
      return ep.connection.icmpError(report, now);
    });
    // tcp_v4_err / tcp_v6_err: no socket for the quoted 4-tuple (a listener's SYN-ACKs sent
    // with SYN cookies, a connection gone): InErrors.
    if (outcome === undefined) {
      // A TIME-WAIT socket takes it and ignores it ("if (sk->sk_state == TCP_TIME_WAIT) {
      // ... inet_twsk_put(inet_twsk(sk)); return 0; }"): no counter moves.
      if (this.tcp.timeWait.lookup(quoted.src, quoted.srcPort, peer, quoted.dstPort) >= 0) return;
      this.counters.inc(inErrors);
      return;
    }
    this.count(outcome);
    if (outcome === 'path-mtu' && pathMtu !== undefined) this.learnPathMtu(peer, pathMtu.reported, now);
  }

  private count(outcome: IcmpOutcome): void {
    if (outcome === 'out-of-window') this.counters.inc('TcpExtOutOfWindowIcmps');
    // tcp_req_err: "inet_csk_reqsk_queue_drop(...); __NET_INC_STATS(net, LINUX_MIB_LISTENDROPS)".
    else if (outcome === 'request-dropped') this.counters.inc('TcpExtListenDrops');
  }

  /**
   * The route to `peer` takes the report (ip_rt_update_pmtu / ip6_rt_update_pmtu): connections
   * opened from now on start with its MTU, and those already open to the same host send
   * smaller segments from now on (Linux: their next tcp_current_mss sees the route's MTU).
   */
  private learnPathMtu(peer: IpAddress, reported: number, now: number): void {
    const routeMtu = this.pmtu.update(peer, reported, now);
    for (const ep of this.tcp.connections.values()) {
      if (ipEquals(ep.remote.address, peer) && ep.connection.pathMtu > routeMtu) ep.connection.pathMtuChanged(routeMtu, now, false);
    }
  }
}

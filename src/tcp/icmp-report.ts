/**
 * An ICMP error about one of the connection's own segments, as the stack hands it to the engine
 * (src/stack/icmp-errors.ts reads the message and the segment it quotes and finds the
 * connection: Linux icmp_unreach → tcp_v4_err, icmpv6_notify → tcp_v6_err). What it means
 * depends on the connection's state: {@link Connection.icmpError} decides.
 */

import type { TcpErrorCode } from './errors.js';

interface IcmpReportBase {
  /** The message in a few words, for the trace: 'port-unreachable', 'frag-needed'... */
  readonly name: string;
  /** SEG.SEQ of the quoted segment (RFC 5927 §4.1 checks it). */
  readonly seq: number;
  /** Linux tcp_req_err's `abort`: the message drops a half-open request (SYN-RECV). */
  readonly abortsRequest: boolean;
}

/** Destination unreachable (but fragmentation needed), time exceeded, parameter problem. */
export interface IcmpErrorReport extends IcmpReportBase {
  readonly action: 'error';
  /** The errno Linux converts it to (icmp_err_convert, icmpv6_err_convert). */
  readonly error: TcpErrorCode;
  /** RFC 6069: the message may undo one RTO backoff (IPv4 net or host unreachable, IPv6 no
   *  route; Linux tcp_ld_RTO_revert). */
  readonly revertsRto: boolean;
}

/** Fragmentation needed (RFC 1191) or Packet Too Big (RFC 8201). */
export interface IcmpPathMtuReport extends IcmpReportBase {
  readonly action: 'path-mtu';
  /** The MTU the message reports (Next-Hop MTU; 0 from routers older than RFC 1191). */
  readonly mtu: number;
  /** The route's MTU once the stack applies the report (its path MTU cache: increases ignored,
   *  IPv4 clamped to min_pmtu). */
  readonly routeMtu: number;
}

/** Source quench, redirect: checked, then ignored (Linux tcp_v4_err "Just silently ignore"). */
export interface IcmpIgnoredReport extends IcmpReportBase {
  readonly action: 'ignore';
}

export type IcmpReport = IcmpErrorReport | IcmpPathMtuReport | IcmpIgnoredReport;

/**
 * What an ICMP error did to the connection:
 * - 'ignored': nothing in this state (CLOSED, TIME-WAIT) or for this message;
 * - 'out-of-window': the quoted sequence number is not one we have outstanding (RFC 5927 §4.1,
 *   Linux LINUX_MIB_OUTOFWINDOWICMPS), so the message is dropped;
 * - 'request-dropped': a half-open passive connection was removed (Linux tcp_req_err);
 * - 'aborted': the handshake failed with the message's error;
 * - 'soft-error': a synchronized connection remembers the error (Linux sk_err_soft) and reports
 *   it only if it later times out;
 * - 'path-mtu': the path MTU report was accepted (the route cache takes it; the MSS may drop).
 */
export type IcmpOutcome = 'ignored' | 'out-of-window' | 'request-dropped' | 'aborted' | 'soft-error' | 'path-mtu';

/**
 * What a connection reports as it runs, through one callback (the trace, the scenarios and the
 * inspect layer read these). Every event carries the `at` time it happened (the `now` passed in).
 */

import type { ParseFailure } from '../wire/parse-failure.js';
import type { CongestionCause } from './congestion/controller.js';
import type { TcpErrorCode } from './errors.js';
import type { IcmpOutcome } from './icmp-report.js';
import type { TcpStateName } from './state.js';

export interface StateChangeEvent {
  readonly type: 'state';
  readonly from: TcpStateName;
  readonly to: TcpStateName;
  /** Why, in a word or two: 'syn-ack', 'rst', 'fin', 'timeout', 'close', 'abort'... */
  readonly cause: string;
  readonly at: number;
}

export interface RetransmissionEvent {
  readonly type: 'retransmission';
  readonly seq: number;
  /** Sequence space retransmitted (SYN and FIN count one). */
  readonly len: number;
  /** The timer that fired, or 0 for a fast retransmission. */
  readonly rto: number;
  /** 1 for the first retransmission of this data. */
  readonly attempt: number;
  /** 'probe': zero-window probe; 'tlp': tail loss probe (RFC 8985 §7); 'pmtu': resent at a
   *  smaller MSS after a path MTU drop (Linux tcp_simple_retransmit). */
  readonly kind: 'syn' | 'syn-ack' | 'timeout' | 'fast' | 'probe' | 'tlp' | 'pmtu';
  readonly at: number;
}

export interface RttSampleEvent {
  readonly type: 'rtt-sample';
  readonly rtt: number;
  readonly srtt: number;
  readonly rttvar: number;
  readonly rto: number;
  readonly at: number;
}

export interface CwndChangeEvent {
  readonly type: 'cwnd';
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly cause: CongestionCause;
  readonly at: number;
}

/** An ICMP error about one of the connection's segments (src/tcp/icmp-report.ts). */
export interface IcmpEvent {
  readonly type: 'icmp';
  /** The message: 'port-unreachable', 'host-unreachable', 'frag-needed', 'packet-too-big',
   *  'time-exceeded'... */
  readonly icmp: string;
  /** SEG.SEQ of the segment it quotes. */
  readonly seq: number;
  readonly outcome: IcmpOutcome;
  /** The error it carries, when it has one. */
  readonly error?: TcpErrorCode;
  /** Fragmentation needed / packet too big: the MTU it reports. */
  readonly mtu?: number;
  /** The send MSS after the message. */
  readonly mss: number;
  /** RFC 6069: one RTO backoff was undone. */
  readonly rtoReverted?: boolean;
  readonly at: number;
}


/**
 * A window closed to zero or opened again: 'send' is SND.WND, the window the peer offers us
 * (zero: our data waits and the persist timer probes); 'receive' is the window we advertise
 * (zero: our application is not reading). Only the transitions are reported, not every update.
 */
export interface WindowEvent {
  readonly type: 'window';
  readonly direction: 'send' | 'receive';
  /** Bytes, after scaling. */
  readonly window: number;
  /** 'zero': it just closed; 'open': it is above zero again after being closed. */
  readonly change: 'zero' | 'open';
  readonly at: number;
}

/**
 * Receive-buffer auto-tuning grew the buffer (Linux trace_tcp_rcvbuf_grow): the application read
 * more in one receiver RTT than before, so the window may open further.
 */
export interface RcvbufEvent {
  readonly type: 'rcvbuf';
  /** The buffer's new size (sk_rcvbuf), which is also the new window clamp. */
  readonly rcvbuf: number;
  /** rcvq_space.space: the most the application read in one RTT. */
  readonly space: number;
  /** The receiver's RTT estimate, ms. */
  readonly rcvRtt: number;
  readonly at: number;
}

/**
 * Why a packet was dropped, in words close to Linux's SKB_DROP_REASON_* (given beside each).
 * The engine reports the first group; the stack the rest, parse failures under their
 * ParseFailure names (src/wire/parse-failure.ts: 'bad-checksum', 'truncated', ...).
 */
export type DropReason =
  /** RFC 7323 §5.3 R1: TSval older than TS.Recent (TCP_RFC7323_PAWS). */
  | 'paws'
  /** RFC 9293 §3.10.7.4 first check: outside the receive window; a RST included
   *  (TCP_INVALID_SEQUENCE). */
  | 'out-of-window'
  /** RFC 5961 §5.2: an ACK of data never sent, or too old (TCP_ACK_UNSENT_DATA,
   *  TCP_TOO_OLD_ACK); in SYN-SENT, an ACK that is not for our SYN. */
  | 'bad-ack'
  /** Data for a zero receive window (TCP_ZEROWINDOW). */
  | 'zero-window'
  /** RFC 9293 §3.10.7.4 fifth check: no ACK bit (TCP_FLAGS). */
  | 'no-ack'
  /** The accept queue is full: SYN or handshake-completing ACK dropped (ListenOverflows). */
  | 'accept-queue-full'
  /** The SYN queue is full and SYN cookies are off (TCPReqQFullDrop). */
  | 'syn-queue-full'
  /** An ACK whose SYN cookie does not verify (SyncookiesFailed). */
  | 'bad-syn-cookie'
  /** For an address the stack does not have (IpInAddrErrors; NOT_SPECIFIED in Linux). */
  | 'not-our-address'
  | ParseFailure;

/** A segment (or, from the stack, a packet) dropped, and why. */
export interface DropEvent {
  readonly type: 'drop';
  readonly reason: DropReason;
  /** The parser that refused a malformed packet (stack drops only): 'ipv4', 'tcp', ... */
  readonly layer?: string;
  /** SEG.SEQ and SEG.LEN of a dropped TCP segment, when known. */
  readonly seq?: number;
  readonly len?: number;
  readonly at: number;
}

export type TcpEvent = StateChangeEvent | RetransmissionEvent | RttSampleEvent | CwndChangeEvent | IcmpEvent | WindowEvent | RcvbufEvent | DropEvent;

export type TcpEventSink = (event: TcpEvent) => void;

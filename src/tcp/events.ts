/**
 * What a connection reports as it runs, through one callback (the trace, the scenarios and the
 * inspect layer read these). Every event carries the `at` time it happened (the `now` passed in).
 */

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

export type TcpEvent = StateChangeEvent | RetransmissionEvent | RttSampleEvent | CwndChangeEvent | IcmpEvent;

export type TcpEventSink = (event: TcpEvent) => void;

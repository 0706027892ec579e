// One row of the host's socket table: what `ss -tan -o -i` shows of a socket, read from the
// stack at one instant. The inspect layer formats these; the stack only collects them.
import type { IpAddress } from '../wire/address.js';
import type { TcpStateName } from '../tcp/state.js';
import type { Endpoint } from '../tcp/outgoing-segment.js';

/** The timer ss -o shows, Linux's names (tcp_diag: on, keepalive, timewait, persist). */
export interface SocketTimer {
  readonly kind: 'on' | 'keepalive' | 'timewait' | 'persist';
  /** Absolute, in the stack's clock (milliseconds). */
  readonly expiresAt: number;
  /** Retransmissions or probes so far (the third field of timer:(...)). */
  readonly count: number;
}

/** What ss -i shows of an established connection. */
export interface ConnectionInfo {
  readonly congestion: string;
  readonly caState: string;
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly srtt: number | undefined;
  readonly rttvar: number | undefined;
  readonly rto: number;
  readonly mss: number;
  readonly rcvWnd: number;
  readonly sndWnd: number;
  readonly bytesAcked: number;
  readonly bytesReceived: number;
  readonly retransSegs: number;
  /** Options the handshake agreed (ss -i -o: ts sack wscale:snd,rcv advmss). */
  readonly timestamps?: boolean;
  readonly sack?: boolean;
  readonly wscale?: readonly [number, number];
  readonly advmss?: number;
  readonly bytesSent?: number;
  readonly segsOut?: number;
  readonly segsIn?: number;
  /** Receive-buffer auto-tuning (ss -i rcv_rtt, rcv_space, rcv_ssthresh): the receiver's RTT
   *  in ms (undefined before a sample), the most read in one RTT, and rcv_ssthresh. */
  readonly rcvRtt?: number | undefined;
  readonly rcvSpace?: number;
  readonly rcvSsthresh?: number;
}

export interface SocketRow {
  readonly state: TcpStateName | 'LISTEN';
  readonly family: 4 | 6;
  /** A listener bound to every address has `address` undefined (ss prints 0.0.0.0 or [::]). */
  readonly local: { readonly address: IpAddress | undefined; readonly port: number };
  readonly remote: Endpoint | undefined;
  /** ss's meaning: for LISTEN, connections waiting in the accept queue; otherwise unread bytes
   *  (a received FIN not yet read counts one). */
  readonly recvQ: number;
  /** For LISTEN, the backlog; otherwise bytes not yet acknowledged (an unacknowledged SYN or
   *  FIN counts one). */
  readonly sendQ: number;
  readonly timer: SocketTimer | undefined;
  /** Listeners only: the SYN queue's half-open requests. */
  readonly synQueue?: number;
  /** Connections only. */
  readonly info?: ConnectionInfo;
  /** Where the socket is: owned by the application, closed by it (orphan), still in a
   *  listener's SYN or accept queue, or a TIME-WAIT entry. */
  readonly owner: 'listener' | 'app' | 'orphan' | 'syn-queue' | 'accept-queue' | 'time-wait';
}

/**
 * One TCP connection, sans-IO: the RFC 9293 state machine with Linux's observable behaviour.
 *
 * It never reads a clock, starts a timer or touches a device. Time comes in as `now` (ms) on
 * every call; segments go to an outbox the stack drains with {@link Connection.takeOutput}; the
 * stack calls {@link Connection.poll} at {@link Connection.nextDeadline}.
 *
 * Sequence variables use RFC 9293 §3.3.1's names. One addition, SND.MAX (BSD's snd_max): the
 * highest sequence number sent plus one. After a retransmission timeout SND.NXT goes back to
 * SND.UNA (go-back-N, skipping what the peer SACKed) while SND.MAX remembers what was sent, so
 * ACK acceptability is checked against SND.MAX.
 *
 * Where tcplab follows Linux rather than the letter of an RFC (each is commented at its branch):
 * - RST in SYN-SENT → ECONNREFUSED; in CLOSE-WAIT → EPIPE (tcp_reset).
 * - Retransmitted SYN in passive SYN-RECEIVED gets the SYN-ACK again; a crossing SYN-ACK in
 *   simultaneous open completes the handshake (tcp_check_req, tcp_validate_incoming).
 * - Out-of-window SYNs get a challenge ACK too; pure out-of-window ACKs are rate limited.
 * - TIME-WAIT follows tcp_timewait_state_process (bare ACK at RCV.NXT restarts the timer, RST
 *   at RCV.NXT kills it unless tcpRfc1337).
 * - Zero-window probes are tcp_xmit_probe_skb's (SEG.SEQ = SND.UNA − 1, no data), and the
 *   sender never splits a segment to fill a small window (tcp_snd_wnd_test).
 * - tcp_retries2 and tcp_orphan_retries are time budgets (retransmits_timed_out), not counts.
 * - close() with unread data sends RST (tcp_close); data after close() in FIN-WAIT-1/2 → RST.
 * - An ACK of new data whose TSecr predates the last RTO gives no RTT sample (Linux takes it):
 *   see newlyAcked.
 * - Challenge ACKs and out-of-window duplicate ACKs share one 500 ms per-socket limit
 *   (tp->last_oow_ack_time); a RST at RCV.NXT − 1 after the peer's FIN resets
 *   (tcp_reset_check); an orphaned FIN-WAIT-2 behaves as Linux's FIN_WAIT2 timewait socket.
 * - Delayed ACKs as tcp_event_data_recv / tcp_send_delayed_ack: quick ACKs (again after an idle
 *   RTO, or a duplicate segment), interactive (ping-pong) mode, the ato bounded by SRTT, an
 *   immediate ACK for a FIN when no data was ever received (ato 0).
 * - SND.WND = 0 under data in flight: retransmissions are zero-window probes that do not count
 *   toward tcp_retries2 (tcp_retransmit_timer, tcp_rtx_probe0_timed_out).
 * - Passive SYN-RECEIVED is Linux's request socket (tcp_check_req): a bad ACK gets RST first, an
 *   in-window RST or new SYN drops it, a retransmitted SYN restarts the SYN-ACK timer.
 */

import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax } from '../wire/seq.js';
import { takeBytes } from '../wire/slab.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp.js';
import { linuxSynOptions, linuxTcpOptions, type SackBlock, type TcpOption } from '../wire/tcp-options.js';
import { MAX_BUFFER_CAPACITY } from './buffers/byte-ring.js';
import { ReceiveBuffer } from './buffers/receive-buffer.js';
import { SendBuffer } from './buffers/send-buffer.js';
import { initialRcvbuf, rcvbufLocked, tcpConfig, type TcpConfig } from './config.js';
import { addCounters, newCounters, type TcpCounters } from './counters.js';
import type { TcpErrorCode, TcpWriteError } from './errors.js';
import type { DropReason, TcpEvent, TcpEventSink } from './events.js';
import type { IcmpOutcome, IcmpPathMtuReport, IcmpReport } from './icmp-report.js';
import { DEFAULT_DUP_THRESH, SackScoreboard } from './buffers/sack-scoreboard.js';
import { Rack, type SeqRange } from './rack.js';
import { createCongestionControl, type AckVerdict, type CaState, type CongestionControl, type CongestionControlName, type FlightState } from './congestion/index.js';
import {
  dataTimedOut,
  orphanRetries,
  probe0Timeout,
  RcvSpace,
  RttEstimator,
  synAckRetransmitTimeout,
  synAckTimedOut,
  synRetransmitTimeout,
  synTimedOut,
  type SynAckSchedule,
  type SynSchedule,
} from './timing/index.js';
import { isAcceptable, pawsRejects, segmentLength } from './acceptability.js';
import { DEFAULT_PEER_MSS, negotiate, offeredWscale, TS_OPTION_SPACE } from './negotiation.js';
import type { Endpoint, OutgoingSegment } from './outgoing-segment.js';
import { growRcvSsthresh, initBufferSpace, initialWindow, linuxWindow, negotiatedWindowClamp, selectWindow, type WindowInput } from './receive-window.js';
import { ConnectionTimers } from './timers.js';
import { isSynchronized, type TcpState, type TcpStateName } from './state.js';
import { timeWaitSynIss, type TimeWaitRecord } from './time-wait.js';
import { pow2 } from './pow2.js';

/** The fields of a parsed segment the engine reads; a {@link TcpSegment} is one. */
export type IncomingSegment = Pick<
  TcpSegment,
  'seq' | 'ack' | 'flags' | 'window' | 'payload' | 'mss' | 'windowScale' | 'sackPermitted' | 'tsVal' | 'tsEcr' | 'sackBlocks'
>;

export interface ConnectionOptions {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Initial send sequence number (the stack's ISN generator, RFC 6528). */
  readonly iss: number;
  readonly now: number;
  /** Our MSS, from the MTU of the route (MTU − 40 for IPv4, − 60 for IPv6). */
  readonly mss: number;
  /** The path MTU toward the peer when the stack knows a smaller one than the link's (its path
   *  MTU cache, RFC 1191 / RFC 8201): the send MSS is bounded by it, the MSS we advertise is not
   *  (Linux: tcp_sync_mss(dst_mtu) against advmss from the device MTU). */
  readonly pmtu?: number;
  readonly config?: Partial<TcpConfig>;
  /** Added to `now` for TSval (Linux uses a random per-connection offset). Default 0. */
  readonly tsOffset?: number;
  readonly events?: TcpEventSink;
}

/** Linux's net.ipv4.tcp_invalid_ratelimit: out-of-window duplicate ACKs, at most one per 500 ms. */
const OOW_ACK_INTERVAL = 500;
/** Linux TCP_PAWS_MSL: in TIME-WAIT a RST escapes PAWS once TS.Recent is this old. */
const TCP_PAWS_MSL = 60_000;
/** Linux __inet_twsk_schedule: a timewait socket scheduled for at most 4 s counts as TWKilled. */
const TW_KILL_TIMEOUT = 4_000;

/** Linux TCP_INIT_CWND: tcp_init_buffer_space expects at most 10 segments in the first RTT. */
const TCP_INIT_CWND = 10;
/** Linux TCP_TIMEWAIT_LEN: an orphaned FIN-WAIT-2 spends at most this long as a timewait socket. */
const TCP_TIMEWAIT_LEN = 60_000;
/** Linux MAX_TCP_HEADER + 1 (x86-64): what tcp_xmit_size_goal keeps from gso_max_size. */
const GSO_HEADER_ROOM = 321;
/** Bytes kept free before a segment's data: an IPv6 header and the longest TCP header. */
export const SEGMENT_HEADROOM = 100;
/** Linux net.ipv4.tcp_min_snd_mss: neither a path MTU report nor the peer's MSS option makes
 *  the send MSS smaller (a peer announcing MSS 1 would have us send a segment per byte:
 *  CVE-2019-11479). */
const TCP_MIN_SND_MSS = 48;
/** RFC 8200 §5: the minimum IPv6 MTU; RFC 8201 §4: a smaller Packet Too Big is not applied. */
const IPV6_MIN_MTU = 1280;

export class Connection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly config: TcpConfig;
  // Counters (Linux's MIB entries, src/tcp/counters.ts). Those every connection moves are fields,
  // as in Linux's tcp_sock (segs_in, segs_out, bytes_sent, bytes_acked, bytes_received); the rest
  // wait in an object made on the first increment (`rare`): 39 counters in every connection
  // were the largest thing an idle one held (336 bytes). `counters` puts them together.
  private segsIn = 0;
  private segsOut = 0;
  private bytesSent = 0;
  private bytesAcked = 0;
  private bytesReceived = 0;
  /** ActiveOpens or PassiveOpens: how this connection began. */
  private opened: 'active' | 'passive' | undefined;
  private rareCounters: TcpCounters | undefined;

  private st: TcpState;
  private readonly sink: TcpEventSink | undefined;
  private err: TcpErrorCode | undefined;
  private out: OutgoingSegment[] = [];

  // RFC 9293 §3.3.1, send sequence space.
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** RFC 5961 §5: the largest window the peer ever offered (MAX.SND.WND). */
  maxSndWnd = 0;
  /** Sequence number of the first byte in the send buffer (SND.UNA once the SYN is acked). */
  private bufSeq: number;
  /** The sequence number our FIN takes, once the application shut down its write side. */
  private finSeq: number | undefined;
  /** Minshall's variant of Nagle (Linux tp->snd_sml): end of the last small segment sent. */
  private sndSml: number;

  // Receive sequence space.
  irs: number | undefined;
  private finRcvSeq: number | undefined;
  private finReceived = false;
  /** The application read up to the FIN (Linux copied_seq passed it). */
  private finConsumed = false;
  /** The right edge of the window we last advertised (RCV.NXT + RCV.WND at that time). */
  private rcvAdvEnd = 0;
  /** RCV.NXT in the last ACK we sent (RFC 7323's Last.ACK.sent, Linux rcv_wup). */
  private lastAckSent = 0;
  /** Linux rcv_ssthresh: the window grows from the initial one as data arrives. */
  private rcvSsthresh = 0;
  /** Linux window_clamp: the largest window this buffer offers; auto-tuning raises it. */
  private windowClamp = 0;

  // Negotiated options.
  private readonly ourMss: number;
  /** IP header + TCP header without options: 40 (IPv4) or 60 (IPv6), Linux tcp_mtu_to_mss. */
  private readonly headerBytes: number;
  /** Linux icsk_pmtu_cookie: the path MTU the send MSS is synced to (RFC 1191, RFC 8201). */
  private pmtu: number;
  /** The MSS that path allows (tcp_sync_mss): pmtu − headerBytes, at least TCP_MIN_SND_MSS. */
  private pathMss: number;
  peerMss = DEFAULT_PEER_MSS;
  sndWscale = 0;
  rcvWscale = 0;
  /** Both SYNs carried Window Scale (RFC 7323 §2.2). */
  wscaleOn = false;
  timestampsEnabled = false;
  sackEnabled = false;
  tsRecent = 0;
  tsRecentAt = 0;
  /** Added to the clock in TSval (RFC 7323 §5.4); the stack's TIME-WAIT entry keeps it. */
  readonly tsOffset: number;

  private readonly sndBuf: SendBuffer;
  private readonly rcvBuf: ReceiveBuffer;
  /** Receive-buffer auto-tuning: the receiver's RTT and what the application reads per RTT.
   *  Made when the first segment after the handshake arrives: an idle connection has none. */
  private rcvSpaceState: RcvSpace | undefined;
  private readonly rtt: RttEstimator;
  private ccNow: CongestionControl | undefined;
  /** Made on first use before establishment (rarely: most handshakes never ask), replaced at
   *  establishment with the negotiated MSS and SACK. */
  private get cc(): CongestionControl {
    return (this.ccNow ??= this.makeCongestionControl(this.ourMss));
  }
  /** RFC 6675 scoreboard, when SACK is in use. */
  private scoreboard: SackScoreboard | undefined;
  /** RFC 8985 RACK loss detection, beside the scoreboard (Linux tcp_recovery = 1). */
  private rack: Rack | undefined;
  /** SYN or SYN-ACK retransmissions of the handshake (Linux total_retrans at that point). */
  private handshakeRetransmits = 0;
  /** Linux sk_err_soft: the last ICMP error on a synchronized connection, reported instead of
   *  ETIMEDOUT if it times out (tcp_write_err); cleared by an acceptable ACK (tcp_ack). */
  private softErr: TcpErrorCode | undefined;
  /** The largest segment sent since nothing was last in flight: a path MTU drop below it means
   *  segments in flight were too big (Linux tcp_simple_retransmit checks each one). */
  private largestInFlight = 0;

  // Timers, as deadlines.
  private readonly timers = new ConnectionTimers();
  /** Retransmissions of the same data (Linux icsk_retransmits). */
  private rtxAttempts = 0;
  /** Linux tp->retrans_stamp: the first retransmission, for the tcp_retries2 budget. */
  private firstRetransmitAt = 0;
  /** When the retransmission timer last resent the head (its skb timestamp in
   *  tcp_ld_RTO_revert). */
  private lastRtoAt = 0;
  /** Linux tp->bytes_acked: sequence space acknowledged so far (the SYN counts on an active
   *  open, as tcp_ack processes the SYN-ACK; a passive child starts at 0). */
  private bytesAckedTotal = 0;
  /** Linux tp->rcv_tstamp: when the last acceptable ACK arrived. */
  private lastAckRcvdAt: number;
  /** The first retransmission of the data now at SND.UNA (Linux retrans_stamp, which zero-window
   *  retransmissions set too); cleared when new data is ACKed. */
  private retransStamp: number | undefined;
  private firstSynAt: number;
  /** Unanswered zero-window probes (Linux icsk_probes_out) and the probe timer's backoff
   *  (icsk_backoff), which lasts until the window opens. */
  private probesOut = 0;
  private probeBackoff = 0;
  private keepaliveProbes = 0;

  // ACK engine.
  private ackNow = false;
  private quickAcks = 0;
  /** Linux interactive mode (icsk_ack.pingpong, tcp_pingpong_thresh = 1): data we send within
   *  the ato of data received turns quick ACKs off, so ACKs wait to ride on the answers. */
  private pingpong = false;
  /** The pending immediate ACK is owed to quick ACK mode alone (a FIN in the same segment turns
   *  ping-pong mode on before Linux decides, so it becomes a delayed ACK). */
  private ackNowIsQuick = false;
  private ato: number;
  private lastDataAt: number | undefined;
  /** Linux tp->last_oow_ack_time: the last out-of-window duplicate ACK or challenge ACK; both
   *  are limited by this one per-socket stamp (tcp_oow_rate_limited, tcp_send_challenge_ack). */
  private lastOowAckAt = Number.NEGATIVE_INFINITY;
  /** A duplicate to report in the next ACK (RFC 2883 D-SACK). */
  private pendingDsack: SackBlock | undefined;

  // RTT timing without timestamps (Karn: only segments sent once).
  private rttSeq: number | undefined;
  private rttStart = 0;
  /** Our TSval when the retransmission timer last expired (see newlyAcked). */
  private tsAtLastRto: number | undefined;
  /** The retransmission timer is armed as a tail loss probe timer (Linux ICSK_TIME_LOSS_PROBE). */
  private rtxIsProbe = false;
  /** RFC 8985 §7.3 TLP.end_seq (Linux tlp_high_seq): a probe is out until this is ACKed. */
  private tlpHighSeq: number | undefined;
  /** Where the most recently sent new segment began: the "last segment" a loss probe repeats. */
  private lastSegStart: number;
  /** Our TSval at the first retransmission since recovery (or an RTO) began (Linux
   *  retrans_stamp, for undo). */
  private recoveryRtxTs: number | undefined;


  /** TCP_NODELAY and SO_KEEPALIVE / TCP_KEEPIDLE: socket options, so they can change. */
  private noDelay: boolean;
  private keepalive: boolean;
  private keepaliveTime: number;

  /** Orphaned FIN-WAIT-2 with tcp_fin_timeout above TCP_TIMEWAIT_LEN: until this time Linux
   *  waits on the keepalive timer, then in a FIN_WAIT2 timewait socket (see activeTimer). */
  private orphanKeepaliveUntil: number | undefined;

  /** The windows are zero as last seen (SND.WND) or advertised (ours): the trace reports the
   *  transitions. */
  private sndWndClosed = false;
  private rcvWndClosed = false;

  /** The application closed: nobody will read (orphan in Linux terms). */
  orphaned = false;
  /** The peer's FIN arrived in order: reads return what is left, then end of stream. */
  get peerClosed(): boolean {
    return this.finReceived;
  }

  private constructor(o: ConnectionOptions, state: TcpState) {
    this.local = o.local;
    this.remote = o.remote;
    this.config = tcpConfig(o.config);
    this.sink = o.events;
    this.st = state;
    this.iss = o.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.bufSeq = seqAdd(this.iss, 1);
    this.sndSml = this.iss;
    this.lastSegStart = this.bufSeq;
    this.ourMss = o.mss;
    this.headerBytes = typeof o.local.address === 'number' ? 40 : 60;
    this.pmtu = o.pmtu ?? o.mss + this.headerBytes;
    this.pathMss = this.mtuToMss(this.pmtu);
    this.tsOffset = o.tsOffset ?? 0;
    this.sndBuf = new SendBuffer(this.config.sendBufferSize);
    this.rcvBuf = new ReceiveBuffer(initialRcvbuf(this.config));
    this.rtt = new RttEstimator({ rtoInitial: this.config.rtoInitial, rtoMin: this.config.rtoMin, rtoMax: this.config.rtoMax });
    this.firstSynAt = o.now;
    this.lastAckRcvdAt = o.now;
    this.ato = this.config.delackMin;
    this.noDelay = this.config.noDelay;
    this.keepalive = this.config.keepalive;
    this.keepaliveTime = this.config.keepaliveTime;
  }

  // The SYN and SYN-ACK schedules come from the configuration alone and are needed only while
  // (re)sending a SYN or SYN-ACK: made when asked rather than kept by every connection.
  private get synSchedule(): SynSchedule {
    const c = this.config;
    return { synRetries: c.tcpSynRetries, linearTimeouts: c.tcpSynLinearTimeouts, rtoInitial: c.rtoInitial, rtoMax: c.rtoMax, userTimeout: c.userTimeout };
  }

  private get synAckSchedule(): SynAckSchedule {
    const c = this.config;
    return { synackRetries: c.tcpSynackRetries, rtoInitial: c.rtoInitial, rtoMax: c.rtoMax };
  }

  /** Active open (RFC 9293 §3.10.1): SYN-SENT, with the SYN in the outbox. */
  static connect(o: ConnectionOptions): Connection {
    const c = new Connection(o, { name: 'SYN-SENT' });
    c.opened = 'active';
    c.emitState('CLOSED', 'SYN-SENT', 'connect', o.now);
    c.sendSyn(o.now);
    c.timers.rtx = o.now + synRetransmitTimeout(0, c.synSchedule);
    return c;
  }

  /**
   * Passive open from a SYN that reached a listener (RFC 9293 §3.10.7.2, LISTEN state, fourth
   * step): SYN-RECEIVED, with the SYN-ACK in the outbox. The listener and its SYN queue are the
   * stack's.
   */
  static acceptSyn(syn: IncomingSegment, o: ConnectionOptions): Connection {
    const c = Connection.synReceived(syn, o, 'syn');
    c.timers.rtx = o.now + synAckRetransmitTimeout(0, c.synAckSchedule);
    return c;
  }

  /**
   * Passive open from a SYN cookie (Linux cookie_v4_check → tcp_get_cookie_sock): the stack
   * answered the SYN without state, ISS = the cookie, and rebuilt `syn` from the final ACK (the
   * MSS, window scale and SACK the cookie carried). SYN-RECEIVED as Linux's child socket is, for
   * the ACK the stack gives it next; the SYN-ACK already went out: it is neither sent again nor
   * retransmitted, nor timed (without timestamps no RTT sample, as Linux takes none).
   */
  static acceptCookie(syn: IncomingSegment, o: ConnectionOptions): Connection {
    const c = Connection.synReceived(syn, o, 'syn-cookie');
    c.out.length = 0;
    c.segsOut--;
    c.rttStart = Number.NaN;
    return c;
  }

  private static synReceived(syn: IncomingSegment, o: ConnectionOptions, cause: string): Connection {
    const c = new Connection(o, { name: 'SYN-RECEIVED', passive: true });
    c.opened = 'passive';
    c.emitState('LISTEN', 'SYN-RECEIVED', cause, o.now);
    c.negotiate(syn, o.now);
    c.receiveSyn(syn);
    // RFC 9293 §3.10.7.2: "SND.WND <- SEG.WND" is not in the LISTEN step; the SYN's window is
    // the peer's offer all the same (never scaled in a SYN, RFC 7323 §2.2).
    c.updateWindow(syn.window, syn.seq, c.iss, true, o.now);
    c.sendSynAck(o.now);
    return c;
  }

  // ------------------------------------------------------------------------------------------
  // Public state

  get state(): TcpState {
    return this.st;
  }

  get stateName(): TcpStateName {
    return this.st.name;
  }

  /** Why the connection failed, as Node's err.code; undefined while healthy or after a clean
   *  close. */
  get error(): TcpErrorCode | undefined {
    return this.err;
  }

  /** RCV.NXT (the FIN counts one once received in order). */
  get rcvNxt(): number {
    return seqAdd(this.rcvBuf.rcvNxt, this.finReceived ? 1 : 0);
  }

  /** RCV.WND as last advertised. */
  get rcvWnd(): number {
    return Math.max(0, seqDiff(this.rcvAdvEnd, this.rcvNxt));
  }

  /** Bytes the application can read now. */
  get readable(): number {
    return this.rcvBuf.readable;
  }

  /** Bytes written and not yet acknowledged. */
  get sendQueued(): number {
    return this.sndBuf.length;
  }

  /**
   * Recv-Q as `ss` shows it (Linux tcp_diag: rcv_nxt − copied_seq): unread bytes, plus one for
   * a FIN the application has not read yet, so a CLOSE-WAIT nobody reads shows 1.
   */
  get recvQ(): number {
    return this.rcvBuf.readable + (this.finReceived && !this.finConsumed ? 1 : 0);
  }

  /**
   * Send-Q as `ss` shows it (Linux tcp_diag: write_seq − snd_una): unacknowledged and unsent
   * bytes, plus one for a SYN or FIN not yet acknowledged.
   */
  get sendQ(): number {
    const writeSeq = this.finSeq !== undefined ? seqAdd(this.finSeq, 1) : seqAdd(this.bufSeq, this.sndBuf.length);
    return Math.max(0, seqDiff(writeSeq, this.sndUna));
  }

  /** RTT variance as `ss -i` prints it (rtt:srtt/rttvar), undefined before the first sample. */
  get rttvar(): number | undefined {
    return this.rtt.rttvar;
  }

  /** The receive buffer's size (Linux sk_rcvbuf): tcpRmem[1] or SO_RCVBUF at first, then what
   *  receive-buffer auto-tuning grew it to. Memory is taken only as data arrives. */
  get rcvbuf(): number {
    return this.rcvBuf.capacity;
  }

  /** The largest window the buffer offers now (Linux window_clamp). */
  get rcvWindowClamp(): number {
    return this.windowClamp;
  }

  /** Receive-buffer auto-tuning as `ss -i` shows it: rcv_rtt (ms, once measured), rcv_space
   *  (what the application read in one RTT, at most) and rcv_ssthresh. */
  get rcvSpaceInfo(): { readonly rcvRtt: number | undefined; readonly rcvSpace: number; readonly rcvSsthresh: number } {
    const s = this.rcvSpaceState;
    const name = this.st.name;
    const established = isSynchronized(name) && name !== 'SYN-RECEIVED';
    return { rcvRtt: s?.rtt, rcvSpace: s !== undefined ? s.space : established ? this.initialRcvSpace() : 0, rcvSsthresh: this.rcvSsthresh };
  }

  /** Bytes write() would take now. */
  get writable(): number {
    return this.canWrite() ? this.sndBuf.free : 0;
  }

  /** Out-of-order bytes held for reassembly. */
  get outOfOrderBytes(): number {
    return this.rcvBuf.outOfOrderBytes;
  }

  get cwnd(): number {
    return this.cc.cwnd;
  }

  get ssthresh(): number {
    return this.cc.ssthresh;
  }

  get rto(): number {
    return this.rtt.rto;
  }

  /** 'cubic' or 'newreno', and Linux's congestion state (open, disorder, recovery, loss). */
  get congestionControl(): CongestionControlName {
    return this.cc.name;
  }

  get caState(): CaState {
    return this.cc.caState;
  }

  get srtt(): number | undefined {
    return this.rtt.srtt;
  }

  /** What the handshake agreed, as `ss -i` shows it: ts, sack, wscale:snd,rcv and advmss (the
   *  MSS we announced). */
  get negotiated(): { readonly timestamps: boolean; readonly sack: boolean; readonly wscale: readonly [number, number] | undefined; readonly advmss: number } {
    return { timestamps: this.timestampsEnabled, sack: this.sackEnabled, wscale: this.wscaleOn ? [this.sndWscale, this.rcvWscale] : undefined, advmss: this.ourMss };
  }

  /** The MSS we send with: min(our MSS, the peer's, the path's), less the timestamp option. */
  get sendMss(): number {
    return this.mssWith(this.pathMss);
  }

  private mssWith(pathMss: number): number {
    // Linux __tcp_mtu_to_mss: clamped to the peer's MSS, then raised to tcp_min_snd_mss; the
    // timestamp option comes out of that (tcp_current_mss).
    return Math.max(TCP_MIN_SND_MSS, Math.min(this.ourMss, this.peerMss, pathMss)) - (this.timestampsEnabled ? TS_OPTION_SPACE : 0);
  }

  /** The path MTU the send MSS follows (Linux icsk_pmtu_cookie). */
  get pathMtu(): number {
    return this.pmtu;
  }

  /** The ICMP error remembered for a timeout (Linux sk_err_soft; SO_ERROR reads it). */
  get softError(): TcpErrorCode | undefined {
    return this.softErr;
  }

  /** Linux tp->advmss: the MSS we announced, less the timestamp option once agreed. */
  private get advMss(): number {
    return this.ourMss - (this.timestampsEnabled ? TS_OPTION_SPACE : 0);
  }

  /** What we expect the peer's segments to carry (Linux icsk_ack.rcv_mss). */
  private get rcvMss(): number {
    return Math.max(1, Math.min(this.ourMss, this.peerMss) - (this.timestampsEnabled ? TS_OPTION_SPACE : 0));
  }

  /** This connection's counters, as of now (a copy: reading them is rare, counting is not). */
  get counters(): TcpCounters {
    const c = this.rareCounters === undefined ? newCounters() : { ...this.rareCounters };
    this.addCommonCounters(c);
    return c;
  }

  /** Adds this connection's counters to `into` (the stack's totals), allocating nothing. */
  addCountersTo(into: TcpCounters): void {
    this.addCommonCounters(into);
    if (this.rareCounters !== undefined) addCounters(into, this.rareCounters);
  }

  private addCommonCounters(into: TcpCounters): void {
    into.inSegs += this.segsIn;
    into.outSegs += this.segsOut;
    into.bytesSent += this.bytesSent;
    into.bytesAcked += this.bytesAcked;
    into.bytesReceived += this.bytesReceived;
    if (this.opened === 'active') into.activeOpens++;
    else if (this.opened === 'passive') into.passiveOpens++;
  }

  /** The counters few connections move, made on the first increment. */
  private get rare(): TcpCounters {
    return (this.rareCounters ??= newCounters());
  }

  /** Segments to send, oldest first; the outbox is emptied. */
  takeOutput(): OutgoingSegment[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** The earliest time {@link poll} has work, or undefined when no timer runs. */
  nextDeadline(): number | undefined {
    const st = this.st;
    return this.timers.next(st.name === 'TIME-WAIT' ? st.expiresAt : undefined, st.name === 'FIN-WAIT-2' ? st.orphanDeadline : undefined);
  }


  /**
   * The timer `ss -o` shows for this socket, Linux's names: 'on' (retransmission), 'persist'
   * (zero-window probe), 'keepalive', 'timewait'; with the retransmissions or probes so far.
   * Undefined when none runs (a delayed ACK alone is not shown, as in ss).
   *
   * An orphaned FIN-WAIT-2 shows 'timewait' as on Linux (`timer:(timewait,59sec,0)`, captured
   * on 6.18): tcp_rcv_state_process and tcp_close hand it to tcp_time_wait(sk, TCP_FIN_WAIT2,
   * tmo) when tcp_fin_time() <= TCP_TIMEWAIT_LEN; a longer timeout runs on the keepalive timer
   * until the last 60 s. `now` tells the two phases apart (without it: the phase at entry).
   */
  activeTimer(now?: number): { kind: 'on' | 'persist' | 'keepalive' | 'timewait'; expiresAt: number; count: number } | undefined {
    const st = this.st;
    if (st.name === 'TIME-WAIT') return { kind: 'timewait', expiresAt: st.expiresAt, count: 0 };
    if (this.timers.rtx !== undefined) return { kind: 'on', expiresAt: this.timers.rtx, count: this.rtxAttempts };
    if (this.timers.persist !== undefined) return { kind: 'persist', expiresAt: this.timers.persist, count: this.probesOut };
    if (st.name === 'FIN-WAIT-2' && st.orphanDeadline !== undefined) {
      const until = this.orphanKeepaliveUntil;
      if (until !== undefined && (now === undefined || now < until)) return { kind: 'keepalive', expiresAt: until, count: 0 };
      return { kind: 'timewait', expiresAt: st.orphanDeadline, count: 0 };
    }
    if (this.timers.keepalive !== undefined) return { kind: 'keepalive', expiresAt: this.timers.keepalive, count: this.keepaliveProbes };
    return undefined;
  }

  /**
   * What the stack's TIME_WAIT table needs to judge a new SYN for this 4-tuple after the
   * connection itself is gone (RFC 6191, Linux tcp_timewait_sock). Defined in TIME-WAIT.
   */
  timeWaitRecord(): TimeWaitRecord | undefined {
    if (this.st.name !== 'TIME-WAIT') return undefined;
    return {
      sndNxt: this.sndNxt,
      rcvNxt: this.rcvNxt,
      tsRecent: this.timestampsEnabled ? this.tsRecent : undefined,
      tsRecentAt: this.tsRecentAt,
      expiresAt: this.st.expiresAt,
    };
  }

  /**
   * In TIME-WAIT, whether `syn` may open a new incarnation of this 4-tuple, and its ISN (old
   * SND.NXT + 65537, Linux's rule); undefined when it must not. The stack asks before input().
   */
  acceptsNewSyn(syn: IncomingSegment): number | undefined {
    const record = this.timeWaitRecord();
    return record === undefined ? undefined : timeWaitSynIss(record, syn);
  }

  // ------------------------------------------------------------------------------------------
  // User calls (RFC 9293 §3.10.2-§3.10.5)

  /**
   * SEND: queue as much of `data` as the send buffer takes and return how many bytes; or an
   * error once the write side is shut (EPIPE, as write(2) after shutdown) or the connection
   * failed (its error).
   */
  write(data: Uint8Array, now: number): number | TcpWriteError {
    if (!this.canWrite()) return { error: this.st.name === 'CLOSED' && this.err !== undefined ? this.err : 'EPIPE' };
    const n = this.sndBuf.write(data);
    this.output(now);
    return n;
  }

  /** RECEIVE: up to `max` in-order bytes (empty when none; check peerClosed for end of stream). */
  read(max?: number, now?: number): Uint8Array {
    const before = this.rcvWnd;
    const data = this.rcvBuf.read(max);
    // Linux tcp_recvmsg "found_fin_ok": a read that reaches the FIN consumes it (copied_seq + 1).
    if (this.finReceived && this.rcvBuf.readable === 0) this.finConsumed = true;
    if (data.length > 0 && now !== undefined) {
      this.rcvSpaceAdjust(now);
      this.afterRead(before, now);
    }
    return data;
  }

  /**
   * Half-close (shutdown(SHUT_WR)): our FIN follows the queued data. RFC 9293 §3.10.4: in
   * ESTABLISHED → FIN-WAIT-1, in CLOSE-WAIT → LAST-ACK; before the handshake completes the FIN
   * waits for it.
   */
  shutdownWrite(now: number): void {
    if (this.finSeq !== undefined) return;
    const name = this.st.name;
    if (name !== 'SYN-SENT' && name !== 'SYN-RECEIVED' && name !== 'ESTABLISHED' && name !== 'CLOSE-WAIT') return;
    this.finSeq = seqAdd(this.bufSeq, this.sndBuf.length);
    if (name === 'ESTABLISHED') this.setState({ name: 'FIN-WAIT-1' }, 'close', now);
    else if (name === 'CLOSE-WAIT') this.setState({ name: 'LAST-ACK' }, 'close', now);
    this.output(now);
  }

  /**
   * CLOSE (RFC 9293 §3.10.4) by an application that will not read again: like shutdownWrite,
   * and the connection becomes an orphan (FIN-WAIT-2 then times out after tcpFinTimeout, new
   * data is answered with RST). Linux tcp_close: unread received data means RST instead of FIN
   * (RFC 2525 §2.17); in SYN-SENT the connection is simply dropped.
   */
  close(now: number): void {
    this.orphaned = true;
    const name = this.st.name;
    if (name === 'CLOSED' || name === 'TIME-WAIT' || name === 'CLOSING' || name === 'LAST-ACK') return;
    if (name === 'SYN-SENT') {
      this.enterClosed('close', now, undefined);
      return;
    }
    if (this.rcvBuf.readable > 0) {
      this.rare.abortOnClose++;
      this.sendActiveReset(now);
      this.enterClosed('close-unread-data', now, undefined);
      return;
    }
    if (name === 'FIN-WAIT-2') {
      this.st = this.orphanFinWait2(now);
      return;
    }
    this.shutdownWrite(now);
  }

  /**
   * ABORT (RFC 9293 §3.10.5; SO_LINGER 0): RST if the peer knows of us, then CLOSED. Linux
   * tcp_need_reset: ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1, FIN-WAIT-2 and SYN-RECEIVED send one.
   */
  abort(now: number): void {
    const name = this.st.name;
    if (name === 'CLOSED') return;
    if (name === 'ESTABLISHED' || name === 'CLOSE-WAIT' || name === 'FIN-WAIT-1' || name === 'FIN-WAIT-2' || name === 'SYN-RECEIVED') {
      this.sendActiveReset(now);
    }
    this.enterClosed('abort', now, undefined);
  }

  /**
   * TCP_NODELAY (Node's socket.setNoDelay): Nagle off or on. Turning it off pushes what Nagle
   * was holding, as Linux's tcp_push_pending_frames does.
   */
  setNoDelay(noDelay: boolean, now: number): void {
    this.noDelay = noDelay;
    if (noDelay) this.output(now);
  }

  /**
   * SO_KEEPALIVE, and TCP_KEEPIDLE when `idle` is given (Node's socket.setKeepAlive(enable,
   * initialDelay)). The idle time counts from now, as Linux's keepalive_time_elapsed would from
   * the last segment received.
   */
  setKeepAlive(enable: boolean, idle: number | undefined, now: number): void {
    this.keepalive = enable;
    if (idle !== undefined && idle > 0) this.keepaliveTime = idle;
    this.restartKeepalive(now);
  }

  /** Fire every timer due at `now`. */
  poll(now: number): void {
    for (let guard = 0; guard < 64; guard++) {
      const d = this.nextDeadline();
      if (d === undefined || d > now) return;
      this.fireTimers(now);
    }
  }

  // ------------------------------------------------------------------------------------------
  // ICMP errors (RFC 1122 §4.2.3.9, RFC 5927; Linux tcp_v4_err / tcp_v6_err)

  /**
   * An ICMP error that quotes one of this connection's segments (the stack found us by the
   * quoted 4-tuple). Returns what it did, for the stack's counters and its path MTU cache.
   */
  icmpError(report: IcmpReport, now: number): IcmpOutcome {
    const [outcome, rtoReverted] = this.icmpOutcome(report, now);
    this.event({
      type: 'icmp',
      icmp: report.name,
      seq: report.seq,
      outcome,
      ...(report.action === 'error' && (outcome === 'aborted' || outcome === 'soft-error') ? { error: report.error } : {}),
      ...(report.action === 'path-mtu' ? { mtu: report.mtu } : {}),
      mss: this.sendMss,
      ...(rtoReverted ? { rtoReverted } : {}),
      at: now,
    });
    return outcome;
  }

  /** What the error does, and whether it undid an RTO backoff. */
  private icmpOutcome(report: IcmpReport, now: number): [IcmpOutcome, boolean] {
    const st = this.st;
    // tcp_v4_err: a TIME-WAIT socket takes no ICMP ("inet_twsk_put ... return 0"), nor a
    // closed one ("if (sk->sk_state == TCP_CLOSE) goto out").
    if (st.name === 'CLOSED' || st.name === 'TIME-WAIT') return ['ignored', false];
    if (st.name === 'SYN-RECEIVED' && st.passive) {
      // Linux tcp_req_err, for a request socket: the quote must be our SYN-ACK exactly
      // ("seq != tcp_rsk(req)->snt_isn": OUTOFWINDOWICMPS). A network-level error drops the
      // request silently ("POSIX does not want network errors returned from accept()").
      if (report.seq !== this.iss) return ['out-of-window', false];
      if (!report.abortsRequest) return ['ignored', false];
      this.enterClosed('icmp', now, undefined);
      return ['request-dropped', false];
    }
    // RFC 5927 §4.1: "TCP SHOULD check that the TCP sequence number contained in the payload of
    // the ICMP error message is within the range SND.UNA =< SEG.SEQ < SND.NXT". Linux:
    // between(seq, snd_una, snd_nxt), both ends included, as unsigned offsets from SND.UNA (so
    // a guess 2^31 away is out too); its snd_nxt is tcplab's SND.MAX.
    if (!seqInWindow(report.seq, this.sndUna, seqDiff(this.sndMax, this.sndUna) + 1)) return ['out-of-window', false];
    if (report.action === 'ignore') return ['ignored', false];
    if (report.action === 'path-mtu') return [this.icmpPathMtu(report, now), false];
    if (st.name === 'SYN-SENT' || st.name === 'SYN-RECEIVED') {
      // Linux tcp_done_with_error in SYN-SENT and (simultaneous) SYN-RECV: ANY of these errors
      // ends the connect, host and net unreachable included. RFC 1122 §4.2.3.9 calls those
      // soft ("SHOULD NOT abort"); Linux, and so tcplab, fails the connect at once
      // (connect() → EHOSTUNREACH, "No route to host").
      if (report.error !== 'ECONNREFUSED') this.rare.attemptFails++;
      this.enterClosed('icmp', now, report.error);
      return ['aborted', false];
    }
    // RFC 6069 §4 / Linux tcp_ld_RTO_revert: a net or host unreachable for the retransmitted
    // head says the path is down, not congested: undo one backoff so the next retransmission
    // comes sooner.
    const reverted = report.revertsRto && this.revertRtoBackoff(report.seq, now);
    // RFC 1122 §4.2.3.9: "TCP MUST NOT abort ... on Destination Unreachable codes 0, 1, 5 ...
    // [it] SHOULD make the information available to the application". Linux keeps trying ("we
    // will keep trying until we time out, or the user gives up") even for port and protocol
    // unreachable, and keeps the error for the timeout (sk_err_soft, no IP_RECVERR).
    this.softErr = report.error;
    return ['soft-error', reverted];
  }

  /**
   * Fragmentation needed (RFC 1191 §6.1) or Packet Too Big (RFC 8201 §4) for one of our
   * segments: Linux tcp_v4_mtu_reduced / tcp_v6_mtu_reduced. The stack updates its route
   * cache when this returns 'path-mtu'.
   */
  private icmpPathMtu(report: IcmpPathMtuReport, now: number): IcmpOutcome {
    if (this.headerBytes === 60) {
      // tcp_v6_err: "if (mtu < IPV6_MIN_MTU) goto out"; tcp_v6_mtu_reduced: "Drop requests
      // trying to increase our current mss" before the route is touched (RFC 5927 §7.2: a
      // report that would not shrink what we send is at best useless).
      if (report.mtu < IPV6_MIN_MTU) return 'ignored';
      if (this.mssWith(this.mtuToMss(report.mtu)) >= this.sendMss) return 'ignored';
    }
    // IPv4: the route takes the report (ip_rt_update_pmtu ignores an increase and clamps to
    // min_pmtu); then, "if (inet_csk(sk)->icsk_pmtu_cookie > mtu)", tcp_sync_mss and
    // tcp_simple_retransmit. (Linux also records EMSGSIZE as the soft error when the route
    // clamped the MTU and still sends DF, which it never does with the default pmtudisc.)
    if (report.routeMtu < this.pmtu) this.pathMtuChanged(report.routeMtu, now);
    return 'path-mtu';
  }

  /**
   * The route's MTU toward the peer changed: the send MSS follows it (Linux tcp_sync_mss). A
   * drop reported by an ICMP error for this connection (`retransmit`) also means the segments
   * in flight that no longer fit were lost: they go again at once (tcp_simple_retransmit). A
   * drop learned by another connection to the same host only resizes what is sent from now on
   * (Linux's tcp_current_mss notices the route's new MTU at the next transmission). Returns
   * whether the send MSS changed.
   */
  pathMtuChanged(mtu: number, now: number, retransmit = true): boolean {
    if (!(mtu > 0) || mtu === this.pmtu) return false;
    const before = this.sendMss;
    const lower = mtu < this.pmtu;
    this.pmtu = mtu;
    this.pathMss = this.mtuToMss(mtu);
    if (lower && retransmit) this.simpleRetransmit(now);
    return this.sendMss !== before;
  }

  /** Linux __tcp_mtu_to_mss: the path MTU less the IP and TCP headers, at least tcp_min_snd_mss. */
  private mtuToMss(mtu: number): number {
    return Math.max(TCP_MIN_SND_MSS, mtu - this.headerBytes);
  }

  /**
   * Linux tcp_simple_retransmit after a path MTU drop: segments in flight larger than the new
   * MSS were dropped on the way, so they go again now, cut to the new MSS, as many as cwnd
   * allows (Linux marks them lost, so they no longer count in flight), the rest as ACKs return
   * (go-back-N from SND.UNA). "Don't muck with the congestion window here ... we do not
   * increase amount of _data_ in network, but units changed": cwnd and ssthresh stay, no
   * TCPTimeouts, no recovery. The retransmission timer restarts with the head.
   */
  private simpleRetransmit(now: number): void {
    if (!this.canSendData() || this.sndUna === this.sndMax || this.largestInFlight <= this.sendMss) return;
    const mss = this.sendMss;
    const finOut = this.finSeq !== undefined && seqGt(this.sndMax, this.finSeq);
    const dataEnd = finOut && this.finSeq !== undefined ? this.finSeq : this.sndMax;
    let budget = Math.max(this.cc.cwnd, mss);
    this.sndNxt = this.sndUna;
    while (budget > 0 && seqLt(this.sndNxt, this.sndMax)) {
      if (this.skipSacked()) continue;
      const seq = this.sndNxt;
      const len = Math.min(mss, Math.max(0, seqDiff(dataEnd, seq)));
      const fin = finOut && seqAdd(seq, len) === this.finSeq;
      if (len === 0 && !fin) break;
      this.sendData(seq, len, fin, now);
      this.event({ type: 'retransmission', seq, len: len + (fin ? 1 : 0), rto: 0, attempt: 1, kind: 'pmtu', at: now });
      budget -= Math.max(len, 1);
    }
    this.timers.rtx = now + this.rtt.rto;
    this.rtxIsProbe = false;
  }

  /**
   * RFC 6069 §4 as Linux's tcp_ld_RTO_revert does it: only for the segment at SND.UNA, after
   * the retransmission timer backed off. One backoff is undone; the timer then expires the new
   * RTO after the head was last sent, or at once when that time has passed.
   */
  private revertRtoBackoff(seq: number, now: number): boolean {
    if (seq !== this.sndUna || this.sndUna === this.sndMax || this.rtxAttempts === 0 || this.rtt.backoffs === 0) return false;
    const rto = this.rtt.revertBackoff();
    const remaining = rto - (now - this.lastRtoAt);
    this.rtxIsProbe = false;
    if (remaining > 0) {
      this.timers.rtx = now + remaining;
      return true;
    }
    // "RTO revert clocked out retransmission. Will retransmit now."
    this.timers.rtx = undefined;
    this.onRetransmitTimeout(now);
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // SEGMENT ARRIVES (RFC 9293 §3.10.7)

  input(seg: IncomingSegment, now: number): void {
    this.segsIn++;
    switch (this.st.name) {
      case 'CLOSED':
        this.inputClosed(seg);
        return;
      case 'SYN-SENT':
        this.inputSynSent(seg, now);
        break;
      case 'TIME-WAIT':
        this.inputTimeWait(seg, now);
        return;
      default:
        this.inputSynchronized(seg, now);
        break;
    }
    this.output(now);
  }

  /** §3.10.7.1 CLOSED: "An incoming segment not containing a RST causes a RST to be sent". */
  private inputClosed(seg: IncomingSegment): void {
    this.replyReset(seg);
  }

  /** §3.10.7.3 SYN-SENT. */
  private inputSynSent(seg: IncomingSegment, now: number): void {
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    const rst = (seg.flags & TCP_RST) !== 0;
    // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
    // the RST bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt))) {
      this.rare.badHandshakeAcks++;
      this.dropped('bad-ack', seg, now);
      if (!rst) this.replyReset(seg);
      return;
    }
    // Second, check the RST bit: "If the ACK was acceptable, then signal to the user 'error:
    // connection reset', drop the segment, enter CLOSED state ... Otherwise (no ACK), drop the
    // segment and return." (RFC 5961 §3.2 adds nothing in SYN-SENT.) Node says ECONNREFUSED.
    if (rst) {
      if (hasAck) this.enterClosed('rst', now, 'ECONNREFUSED');
      return;
    }
    // Third, security: not implemented (RFC 9293 §3.10.7.3 allows ignoring it).
    // Fourth, check the SYN bit.
    if ((seg.flags & TCP_SYN) === 0) return; // "Fifth, if neither SYN nor RST is set, drop".
    this.negotiate(seg, now);
    this.receiveSyn(seg);
    if (hasAck) {
      // "SND.UNA should be advanced to equal SEG.ACK ... If SND.UNA > ISS (our SYN has been
      // ACKed), change the connection state to ESTABLISHED, form an ACK segment
      // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
      this.sndUna = seg.ack;
      this.bytesAckedTotal = 1;
      this.updateWindow(seg.window, seg.seq, seg.ack, true, now);
      this.synAcked(seg, now);
      this.setState({ name: 'ESTABLISHED' }, 'syn-ack', now);
      this.ackNow = true;
      // "Data or controls that were queued for transmission may be included" and "If there are
      // other controls or text in the segment, then continue processing at the sixth step".
      this.afterEstablished(now);
      this.receiveText(seg, now);
      // Eighth step for a SYN-ACK that also carries FIN (a peer that closes at once).
      if (seg.flags & TCP_FIN) {
        this.finRcvSeq = seqAdd(seg.seq, 1 + seg.payload.length);
        this.consumeFin(now);
      }
      return;
    }
    // Simultaneous open: "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." The SYN's timer keeps running.
    this.updateWindow(seg.window, seg.seq, this.iss, true, now);
    this.setState({ name: 'SYN-RECEIVED', passive: false }, 'syn', now);
    this.sendSynAck(now);
  }

  /** §3.10.7.4, the states after SYN-SENT (TIME-WAIT has its own function, Linux's). */
  private inputSynchronized(seg: IncomingSegment, now: number): void {
    // Linux tcp_rcv_established's work is for segments that find the connection ESTABLISHED
    // (not the ACK that completes the handshake, which tcp_rcv_state_process takes).
    const wasEstablished = this.st.name === 'ESTABLISHED';
    const rst = (seg.flags & TCP_RST) !== 0;
    const syn = (seg.flags & TCP_SYN) !== 0;
    const len = segmentLength(seg);

    // Linux tcp_check_req, for a passive SYN-RECEIVED (a request socket): an ACK that does not
    // acknowledge our SYN is answered with RST before anything else is looked at (a RST with
    // such an ACK is dropped).
    const passiveSynRcvd = this.st.name === 'SYN-RECEIVED' && this.st.passive;
    if (passiveSynRcvd && (seg.flags & TCP_ACK) !== 0 && seg.ack !== seqAdd(this.iss, 1)) {
      this.rare.badHandshakeAcks++;
      this.dropped('bad-ack', seg, now);
      if (!rst) this.replyReset(seg);
      return;
    }

    // RFC 7323 §5.3 R1 (PAWS), before the sequence check: "If SEG.TSval < TS.Recent and if
    // TS.Recent is valid, then treat the arriving segment as not acceptable: Send an
    // acknowledgment in reply as specified in RFC 9293 ... and drop the segment." A RST is
    // not subject to PAWS (Linux tcp_validate_incoming).
    if (!rst && this.pawsReject(seg, now)) {
      this.rare.pawsEstabRejected++;
      this.dropped('paws', seg, now);
      this.oowAck(seg, now);
      return;
    }

    // Linux tcp_check_req: in passive SYN-RECEIVED, a retransmission of the peer's SYN means
    // our SYN-ACK was lost; send it again (rate limited like other out-of-window replies).
    if (syn && !rst && (seg.flags & TCP_ACK) === 0 && this.st.name === 'SYN-RECEIVED' && this.st.passive && seg.seq === this.irs) {
      if (now - this.lastOowAckAt >= OOW_ACK_INTERVAL) {
        this.lastOowAckAt = now;
        this.rare.retransSegs++;
        this.rare.synRetrans++;
        this.sendSynAck(now);
        // "expires += tcp_reqsk_timeout(req); mod_timer_pending(&req->rsk_timer, expires)":
        // the next timer-driven SYN-ACK is a full (backed-off) timeout from this one.
        this.timers.rtx = now + synAckRetransmitTimeout(this.rtxAttempts, this.synAckSchedule);
      }
      return;
    }

    // Simultaneous open: the peer's SYN-ACK crosses ours (RFC 9293 §3.5 figure 7 line 4 shows
    // only the ACK). Linux tcp_validate_incoming lets it "pass" when SEG.SEQ + 1 = RCV.NXT and
    // SEG.ACK = SND.NXT: its ACK completes the handshake, its SYN is old news.
    if (syn && !rst && (seg.flags & TCP_ACK) !== 0 && this.st.name === 'SYN-RECEIVED' && !this.st.passive
      && seqAdd(seg.seq, 1) === this.rcvNxt && seg.ack === this.sndNxt && seg.payload.length === 0) {
      this.updateWindow(seg.window, seg.seq, seg.ack, true, now);
      this.synAcked(seg, now);
      this.setState({ name: 'ESTABLISHED' }, 'syn-ack', now);
      this.afterEstablished(now);
      this.ackNow = true;
      return;
    }

    // First, check sequence number: the acceptability table of §3.10.7.4.
    if (!this.acceptable(seg.seq, len)) {
      this.rare.outOfWindow++;
      // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
      // (unless the RST bit is set, if so drop the segment and return)". A SYN gets RFC 5961
      // §4's challenge ACK instead (Linux syn_challenge).
      if (rst && this.resetCheck(seg.seq)) {
        // Linux tcp_reset_check: after the peer's FIN, a RST one below RCV.NXT (sent with
        // the FIN's sequence number) resets too.
        this.resetByPeer(now);
        return;
      }
      this.dropped('out-of-window', seg, now);
      if (!rst) {
        if (syn) this.challengeAck(now);
        else this.oowAck(seg, now);
      }
      return;
    }

    // Anything acceptable from the peer proves it alive (Linux keepalive measures idle time from
    // the last segment received, tp->rcv_tstamp).
    if (this.keepalive) this.restartKeepalive(now);

    // tcp_check_req: "second check the RST bit" and "fourth, check the SYN bit" without RFC
    // 5961: any in-window RST drops the request quietly (back to LISTEN), and an in-window SYN
    // other than the retransmitted one (whose SYN bit is "truncated") is answered with RST and
    // drops it (embryonic_reset).
    if (passiveSynRcvd) {
      if (rst) {
        this.resetByPeer(now);
        return;
      }
      if (syn && seg.seq !== this.irs) {
        this.replyReset(seg);
        this.enterClosed('syn', now, undefined);
        return;
      }
    }

    // An orphaned FIN-WAIT-2 is, in Linux, a timewait socket in its FIN_WAIT2 substate, which
    // tcp_timewait_state_process handles without RFC 5961: any in-window RST kills it ("if
    // (th->rst) goto kill"), and an in-window SYN at or beyond RCV.NXT is answered with a RST
    // (TCP_TW_RST) that also ends it.
    if (this.inOrphanTimewait(now)) {
      if (rst) {
        this.resetByPeer(now);
        return;
      }
      if (syn && seqGe(seg.seq, this.rcvNxt)) {
        this.replyReset(seg);
        this.enterClosed('syn', now, undefined);
        return;
      }
    }

    // Second, check the RST bit (RFC 5961 §3.2): "If the RST bit is set and the sequence number
    // exactly matches the next expected sequence number (RCV.NXT), then TCP MUST reset the
    // connection"; otherwise, in the window, "TCP MUST send an ACK (challenge ACK)".
    if (rst) {
      if (seg.seq === this.rcvNxt) this.resetByPeer(now);
      else this.challengeAck(now);
      return;
    }

    // RFC 7323 §4.3: "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent then SEG.TSval is
    // copied to TS.Recent".
    this.updateTsRecent(seg, now);

    // Third, security: not implemented.
    // Fourth, check the SYN bit (RFC 5961 §4.2): any SYN on a synchronized connection gets a
    // challenge ACK.
    if (syn) {
      this.challengeAck(now);
      return;
    }

    // Fifth, check the ACK field: "if the ACK bit is off, drop the segment and return".
    if ((seg.flags & TCP_ACK) === 0) {
      this.rare.noAckDrops++;
      this.dropped('no-ack', seg, now);
      return;
    }
    if (this.st.name === 'SYN-RECEIVED') {
      // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue processing
      // with the variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <-
      // SEG.ACK. If the segment acknowledgment is not acceptable, form a reset segment
      // <SEQ=SEG.ACK><CTL=RST> and send it."
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndNxt))) {
        this.rare.badHandshakeAcks++;
        this.dropped('bad-ack', seg, now);
        this.replyReset(seg);
        return;
      }
      this.updateWindow(seg.window, seg.seq, seg.ack, false, now);
      this.synAcked(seg, now);
      this.setState({ name: 'ESTABLISHED' }, 'ack', now);
      this.afterEstablished(now);
    }
    if (!this.processAck(seg, now)) return;
    if (this.st.name === 'CLOSED') return;

    // Linux tcp_rcv_established, after tcp_ack: the receiver's RTT from the timestamp echoed
    // (tcp_rcv_rtt_measure_ts), for receive-buffer auto-tuning.
    if (wasEstablished && this.st.name === 'ESTABLISHED' && this.timestampsEnabled && seg.tsEcr !== undefined) {
      this.rcvSpace(now).measureTs(seg.tsEcr, this.tsNow(now), segmentLength(seg), this.rcvMss, this.rcvBuf.readable === 0);
    }

    // Sixth, check the URG bit: urgent data is delivered inline as ordinary data (RFC 6093 §6
    // recommends against new uses; tcplab keeps no urgent pointer).

    // Seventh, process the segment text.
    if (!this.receiveText(seg, now)) return;

    // Eighth, check the FIN bit.
    if (seg.flags & TCP_FIN) {
      const finAt = seqAdd(seg.seq, seg.payload.length);
      // A FIN beyond what we can take is ignored like the data before it.
      if (seqLt(finAt, seqAdd(this.rcvAdvEnd, 1)) || finAt === this.rcvNxt) {
        if (this.finRcvSeq === undefined) this.finRcvSeq = finAt;
        if (seqLt(this.rcvBuf.rcvNxt, finAt)) this.ackNow = true; // out of order FIN
      }
      if (this.finReceived) this.ackNow = true; // a retransmitted FIN: ACK it again
    }
    this.consumeFin(now);
  }

  /** The ACK processing of the fifth step for the synchronized states. False: drop the rest. */
  private processAck(seg: IncomingSegment, now: number): boolean {
    const ack = seg.ack;
    // RFC 5961 §5.2: "If the ACK value is acceptable only if it is in the range of
    // ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming segments whose ACK value
    // doesn't satisfy the above condition MUST be discarded and an ACK sent back."
    // Linux tcp_ack narrows MAX.SND.WND to what was ever acknowledged ("do not accept ACK for
    // bytes we never sent": min(max_window, bytes_acked)), so on a young connection an ACK just
    // below SND.UNA is already out of range.
    const maxBack = Math.min(this.maxSndWnd, this.bytesAckedTotal);
    if (seqGt(ack, this.sndMax) || seqLt(ack, seqAdd(this.sndUna, -maxBack))) {
      this.rare.ackOutOfRange++;
      this.dropped('bad-ack', seg, now);
      this.challengeAck(now);
      return false;
    }
    // Linux tcp_ack: "Something worked": an acceptable ACK resets the probe count, so a peer
    // that keeps answering zero-window probes is never given up on.
    this.probesOut = 0;
    // "We passed data and got it acked, remove any soft error log" (not for an old ACK).
    if (!seqLt(ack, this.sndUna)) this.softErr = undefined;
    this.lastAckRcvdAt = now;
    const oldWnd = this.sndWnd;
    const isDupCandidate =
      ack === this.sndUna && seg.payload.length === 0 && (seg.flags & (TCP_SYN | TCP_FIN)) === 0 && this.sndMax !== this.sndUna;
    const advanced = seqGt(ack, this.sndUna);

    // The SACK scoreboard first (RFC 6675 §4 Update()): the cumulative ACK, then the blocks.
    const sb = this.scoreboard;
    let newlySacked = 0;
    let sackedCovered = 0;
    if (sb !== undefined) {
      // RACK first reads what this ACK delivers for the first time (before the scoreboard
      // records it): the newly ACKed bytes not SACKed before, and the newly SACKed ones.
      const rack = this.rack;
      const priorFack = sb.highestSacked;
      if (rack !== undefined) {
        const delivered: SeqRange[] = advanced ? sb.unsackedParts(this.sndUna, ack, this.sndMax) : [];
        const above = advanced ? ack : this.sndUna;
        for (const b of seg.sackBlocks) delivered.push(...sb.unsackedParts(seqGt(b.left, above) ? b.left : above, b.right, this.sndMax));
        if (rack.onDelivered(delivered, now, priorFack, this.sendMss) > 0) {
          // Linux tcp_check_sack_reordering: an original segment below the highest SACKed one
          // arrived late; DupThresh follows the reordering degree (tp->reordering).
          this.rare.sackReorder++;
          sb.dupThresh = rack.reordering;
        }
        if (advanced) rack.trim(ack);
      }
      if (advanced) {
        const before = sb.sackedBytes;
        sb.onCumulativeAck(ack);
        sackedCovered = before - sb.sackedBytes;
      }
      if (seg.sackBlocks.length > 0) {
        const u = sb.onSack(ack, seg.sackBlocks, this.sndMax);
        newlySacked = u.newlySacked;
        if (u.dsack !== null) {
          rack?.onDsack();
          // RFC 2883 §5 / Linux tcp_try_undo_dsack: when every retransmission since the last
          // reduction turns out duplicated, the reduction was spurious and is undone.
          if (this.cc.onDsack({ now, left: u.dsack.left, right: u.dsack.right, priorSndUna: this.sndUna })) this.rare.dsackUndos++;
        }
      }
      if (rack !== undefined) {
        rack.updateReoWnd(Math.max(0, seqDiff(this.sndMax, ack)));
        this.rackDetectLoss(now, false);
      }
    }

    if (advanced) {
      // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any segments on the
      // retransmission queue that are thereby entirely acknowledged are removed."
      this.newlyAcked(seg, now, newlySacked - sackedCovered);
    }
    // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 <
    // SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set
    // SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK." (old ACKs are ignored for the window.)
    if (seqLe(this.sndUna, ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack)))) {
      this.updateWindow(seg.window, seg.seq, ack, false, now);
    }
    // A duplicate ACK: RFC 5681 §2 without SACK; with SACK, RFC 6675 §2: an ACK that SACKs new
    // data without advancing SND.UNA.
    if (!advanced && ack === this.sndUna && this.sndMax !== this.sndUna) {
      const dup = sb !== undefined ? newlySacked > 0 || (isDupCandidate && this.sndWnd === oldWnd && seg.sackBlocks.length === 0) : isDupCandidate && this.sndWnd === oldWnd;
      if (dup) this.duplicateAck(now, sb !== undefined && newlySacked > 0 ? newlySacked : undefined);
    }

    // Per-state extras of the fifth step.
    const fin = this.finSeq;
    const finAcked = fin !== undefined && seqGt(this.sndUna, fin);
    switch (this.st.name) {
      case 'FIN-WAIT-1':
        // "In addition to the processing for the ESTABLISHED state, if the FIN segment is now
        // acknowledged, then enter FIN-WAIT-2 and continue processing in that state."
        if (finAcked) this.setState(this.orphaned ? this.orphanFinWait2(now) : { name: 'FIN-WAIT-2', orphanDeadline: undefined }, 'ack', now);
        break;
      case 'CLOSING':
        // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise, ignore".
        if (finAcked) this.enterTimeWait('ack', now);
        break;
      case 'LAST-ACK':
        // "The only thing that can arrive in this state is an acknowledgment of our FIN. If our
        // FIN is now acknowledged, delete the TCB, enter the CLOSED state, and return."
        if (finAcked) {
          this.enterClosed('ack', now, undefined);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  /** SND.UNA moves forward: buffer, RTT, timers, congestion control. */
  private newlyAcked(seg: IncomingSegment, now: number, sackDelta: number): void {
    const ack = seg.ack;
    const acked = seqDiff(ack, this.sndUna);
    if (seqGt(ack, this.sndNxt)) this.sndNxt = ack; // after go-back-N the peer may be ahead
    const inBuffer = Math.min(Math.max(0, seqDiff(ack, this.bufSeq)), this.sndBuf.length);
    if (inBuffer > 0) {
      this.sndBuf.acknowledge(inBuffer);
      this.bufSeq = seqAdd(this.bufSeq, inBuffer);
    }
    this.sndUna = ack;
    this.bytesAcked += acked;
    this.bytesAckedTotal += acked;

    // RTT (RFC 6298 §3, RFC 7323 §4.1: with timestamps every ACK of new data is a valid sample
    // because TSecr names the transmission; without, Karn: only a segment never retransmitted).
    let sample: number | undefined;
    // An echo older than the last timeout names a transmission from before it (typically the
    // receiver's TS.Recent while it held out-of-order data, RFC 7323 §4.3): the sample would
    // include the timeout and, fed back into the RTO, spiral on a lossy path. Linux takes it;
    // tcplab skips it (the test of RFC 3522 §2, Eifel).
    const fromTs = this.timestampsEnabled && seg.tsEcr !== undefined && seg.tsEcr !== 0
      && (this.tsAtLastRto === undefined || !seqLt(seg.tsEcr, this.tsAtLastRto));
    if (fromTs && seg.tsEcr !== undefined) {
      sample = seqDiff(this.tsNow(now), seg.tsEcr);
    } else if (this.rttSeq !== undefined && seqGe(ack, this.rttSeq)) {
      sample = now - this.rttStart;
    }
    if (this.rttSeq !== undefined && seqGe(ack, this.rttSeq)) this.rttSeq = undefined;
    if (sample !== undefined && sample >= 0) this.rttSample(sample, now, fromTs);

    this.rtxAttempts = 0;
    this.retransStamp = undefined;
    this.probesOut = 0;
    // RFC 6298 (5.2) "When all outstanding data has been acknowledged, turn off the
    // retransmission timer." (5.3) "When an ACK is received that acknowledges new data,
    // restart the retransmission timer".
    if (this.tlpHighSeq !== undefined && seqGe(ack, this.tlpHighSeq)) this.tlpHighSeq = undefined;
    this.timers.rtx = this.sndUna === this.sndMax ? undefined : now + this.rtt.rto;
    this.rtxIsProbe = false;
    if (this.sndUna === this.sndMax) this.largestInFlight = 0;

    // Congestion control (RFC 5681, RFC 6582 / RFC 6675 recovery, PRR): the controller decides,
    // the connection retransmits.
    const timestampUndos = this.cc.timestampUndoCount;
    const verdict = this.cc.onAck({
      now,
      ackNo: ack,
      sndNxt: this.sndMax,
      acked,
      delivered: this.scoreboard !== undefined ? Math.max(0, acked + sackDelta) : undefined,
      rtt: sample,
      ...this.flight(),
      lossDetected: this.lossDetected(),
      originalDelivered: this.originalDelivered(seg),
    });
    if (this.cc.timestampUndoCount > timestampUndos) this.rare.timestampUndos++;
    if (verdict === 'recovery-complete') {
      this.rack?.onRecoveryEnd();
      this.recoveryRtxTs = undefined;
    }
    this.onVerdict(verdict, now);
    // Linux tcp_set_xmit_timer: with data still out, the timer becomes a loss probe if allowed.
    this.scheduleLossProbe(now);
  }

  /** RFC 5681 §3.2 / RFC 6675 §5: duplicate ACKs, counted by the controller. */
  private duplicateAck(now: number, delivered: number | undefined): void {
    this.rare.dupAcksIn++;
    const verdict = this.cc.onDupAck({
      now,
      ackNo: this.sndUna,
      sndNxt: this.sndMax,
      delivered,
      ...this.flight(),
      lossDetected: this.lossDetected(),
    });
    this.onVerdict(verdict, now);
  }

  /**
   * RFC 3522 (Eifel) / Linux tcp_packet_delayed: the ACK echoes a timestamp older than the first
   * retransmission of this recovery, so it was the original that arrived.
   */
  private originalDelivered(seg: IncomingSegment): boolean {
    const stamp = this.recoveryRtxTs;
    return this.timestampsEnabled && stamp !== undefined && seg.tsEcr !== undefined && seg.tsEcr !== 0 && seqLt(seg.tsEcr, stamp);
  }

  /** With SACK, whether the segment at SND.UNA is lost (RFC 6675 IsLost, or RACK marked it);
   *  undefined when the scoreboard has nothing to say (no SACK, or nothing SACKed or marked). */
  private lossDetected(): boolean | undefined {
    const sb = this.scoreboard;
    if (sb === undefined || (!sb.hasSacked && sb.markedLostBytes === 0)) return undefined;
    return sb.isLost(this.sndUna, this.sendMss);
  }

  /**
   * RFC 8985 §6.2 step 5 over the scoreboard's holes: mark what RACK finds lost and arm the
   * reordering timer for what may still arrive. `force` when the timer fired (nothing new was
   * delivered). True when something new was marked lost.
   */
  private rackDetectLoss(now: number, force: boolean): boolean {
    const rack = this.rack;
    const sb = this.scoreboard;
    if (rack === undefined || sb === undefined || this.sndUna === this.sndMax) {
      this.timers.reorder = undefined;
      return false;
    }
    const ca = this.cc.caState;
    const reoWnd = rack.reoWnd({
      inRecovery: ca === 'recovery' || ca === 'loss',
      sackedSegments: Math.floor(sb.sackedBytes / this.sendMss),
      minRtt: this.rtt.minRtt,
      srtt: this.rtt.srtt,
    });
    const scan = rack.detectLoss(sb.holes(this.sndMax), now, reoWnd, force);
    if (scan === undefined) return false;
    for (const r of scan.lost) {
      if (sb.markLost(r.left, r.right)) this.rare.lostRetransmits++;
    }
    this.timers.reorder = scan.timerAt;
    return scan.lost.length > 0;
  }

  /**
   * The reordering timer (Linux tcp_rack_reo_timeout): the segments RACK was waiting for did not
   * arrive within the reordering window. Mark them lost, enter recovery if not in it yet, and
   * retransmit.
   */
  private onReorderTimeout(now: number): void {
    if (!this.canSendData() || !this.rackDetectLoss(now, true)) return;
    const ca = this.cc.caState;
    if (ca === 'open' || ca === 'disorder') {
      const verdict = this.cc.onLossMarked({ now, ackNo: this.sndUna, sndNxt: this.sndMax, ...this.flight(), lossDetected: true });
      this.onVerdict(verdict, now);
    } else if (ca === 'recovery') {
      this.retransmitLost(now, false);
    }
  }

  private onVerdict(verdict: AckVerdict, now: number): void {
    if (verdict === 'fast-retransmit') {
      // RFC 5681 §3.2 step 2 / RFC 6675 §5 step 4: retransmit the first unacknowledged segment.
      this.rare.fastRetransmits++;
      this.recoveryRtxTs = undefined;
      const sb = this.scoreboard;
      sb?.beginRecovery();
      if (sb !== undefined && sb.hasSacked && sb.nextLost(this.sendMss) !== undefined) this.retransmitLost(now, true);
      else this.retransmitHead(now, 'fast');
    } else if (verdict === 'partial-ack') {
      // RFC 6582 §3.2 step 4: retransmit the first unacknowledged segment (with SACK
      // information, NextSeg() picks the holes as the window allows, in transmit()).
      const sb = this.scoreboard;
      if (sb === undefined || !sb.hasSacked) this.retransmitHead(now, 'fast');
    }
  }

  /** FlightSize and, with SACK, RFC 6675's pipe. */
  private flight(): FlightState {
    const flightSize = Math.max(0, seqDiff(this.sndMax, this.sndUna));
    return this.scoreboard !== undefined ? { flightSize, pipe: this.scoreboard.pipe(this.sndMax, this.sendMss) } : { flightSize };
  }

  /**
   * RFC 6675 §5 (C)/NextSeg() rule 1: retransmit segments the scoreboard deems lost while the
   * controller allows; `force` sends the first one regardless (the fast retransmit itself).
   */
  private retransmitLost(now: number, force: boolean): void {
    const sb = this.scoreboard;
    if (sb === undefined) return;
    const mss = this.sendMss;
    for (let guard = 0; guard < 1024; guard++) {
      const start = sb.nextLost(mss);
      if (start === undefined || !seqLt(start, this.sndMax)) return;
      const end = sb.segmentEnd(start, mss, this.sndMax);
      const span = seqDiff(end, start);
      if (span <= 0) return;
      if (!force && this.cc.sendQuota(this.flight()) < span) return;
      force = false;
      const bufEnd = seqAdd(this.bufSeq, this.sndBuf.length);
      const len = Math.max(0, Math.min(span, seqDiff(bufEnd, start)));
      const fin = this.finSeq !== undefined && seqLe(start, this.finSeq) && seqGt(end, this.finSeq);
      if (len === 0 && !fin) return;
      this.sendSegment(start, len, fin, now, false);
      this.event({ type: 'retransmission', seq: start, len: len + (fin ? 1 : 0), rto: 0, attempt: 1, kind: 'fast', at: now });
    }
  }

  /** One segment from SND.UNA, again (fast retransmit or partial ACK). */
  private retransmitHead(now: number, kind: 'fast'): void {
    const offset = seqDiff(this.sndUna, this.bufSeq);
    const len = Math.min(this.sendMss, this.sndBuf.length - offset);
    const finHere = this.finSeq !== undefined && seqAdd(this.sndUna, Math.max(len, 0)) === this.finSeq && seqGt(this.sndMax, this.finSeq);
    if (len <= 0 && !finHere) return;
    const payload = this.dataCopy(offset, Math.max(len, 0));
    let flags = TCP_ACK;
    if (finHere) flags |= TCP_FIN;
    this.emit(flags, this.sndUna, payload, now);
    this.rare.retransSegs++;
    const end = seqAdd(this.sndUna, Math.max(len, 0) + (finHere ? 1 : 0));
    this.scoreboard?.markRetransmitted(this.sndUna, end);
    this.rack?.onSend(this.sndUna, end, now);
    this.recoveryRtxTs ??= this.tsNow(now);
    if (this.rttSeq !== undefined) this.rttSeq = undefined; // Karn
    this.cc.onDataSent({ now, bytes: Math.max(len, 0), retransmission: true, sndUna: this.sndUna, sndNxt: this.sndMax, ...this.flight() });
    this.event({ type: 'retransmission', seq: this.sndUna, len: len + (finHere ? 1 : 0), rto: 0, attempt: 1, kind, at: now });
  }

  /** Seventh step. False when the segment ended the connection (data after close). */
  private receiveText(seg: IncomingSegment, now: number): boolean {
    const name = this.st.name;
    // "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: ... deliver segment text to user RECEIVE buffers";
    // "CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: This should not occur since a FIN has been
    // received from the remote side. Ignore the segment text."
    if (name !== 'ESTABLISHED' && name !== 'FIN-WAIT-1' && name !== 'FIN-WAIT-2') return true;
    const dataSeq = (seg.flags & TCP_SYN) !== 0 ? seqAdd(seg.seq, 1) : seg.seq;
    const payload = seg.payload;
    if (payload.length === 0) return true;
    const end = seqAdd(dataSeq, payload.length);
    // Linux tcp_rcv_state_process, FIN-WAIT-1/2 after close(): "RFC 1122 says we MUST send a
    // reset" when new data arrives that nobody will read (RFC 1122 §4.2.2.13).
    if (this.orphaned && name !== 'ESTABLISHED' && seqGt(end, this.rcvNxt)) {
      this.rare.abortOnData++;
      this.replyReset(seg);
      this.enterClosed('data-after-close', now, 'ECONNRESET');
      return false;
    }
    // Only what lies inside the window we advertised is taken (§3.10.7.4: "trimmed ... to
    // contain only data within the window"); a zero window takes nothing (Linux
    // tcp_data_queue: SKB_DROP_REASON_TCP_ZEROWINDOW) and the ACK repeats the window.
    const room = seqDiff(this.rcvAdvEnd, dataSeq);
    if (room <= 0) {
      const zero = this.rcvWnd === 0;
      if (zero) this.rare.zeroWindowDrops++;
      this.dropped(zero ? 'zero-window' : 'out-of-window', seg, now);
      this.ackNow = true;
      return true;
    }
    const data = room < payload.length ? payload.subarray(0, room) : payload;
    const rcvSpace = this.rcvSpace(now);
    const hadOutOfOrder = this.rcvBuf.hasOutOfOrder;
    const outOfOrder = seqGt(dataSeq, this.rcvBuf.rcvNxt);
    const r = this.rcvBuf.insert(dataSeq, data);
    const accepted = r.accepted;
    this.bytesReceived += accepted;
    if (!outOfOrder && accepted > 0) {
      // Linux tcp_event_data_recv: the receiver's RTT by the window (tcp_rcv_rtt_measure), and
      // "if (skb->len >= 128) tcp_grow_window(...)": small segments (a request line, a
      // keystroke) do not open the window further.
      rcvSpace.measure(this.rcvBuf.rcvNxt, seqDiff(this.rcvAdvEnd, this.lastAckSent), now);
      if (data.length >= 128) this.growWindow(data.length);
    } else if (outOfOrder) {
      // Linux tcp_data_queue_ofo: "For non sack flows, do not grow window to force DUPACK and
      // trigger fast retransmit"; and room in the buffer for what is held out of order
      // (tcp_rcvbuf_grow with rcvq_space unchanged), "not for ... orphaned sockets" (nor, in
      // Linux, for those not yet accepted, which the engine cannot tell).
      if (accepted > 0 && this.sackEnabled) this.growWindow(data.length);
      if (!this.orphaned) this.rcvbufGrow(rcvSpace.space, now);
    }

    // Delayed ACK (RFC 9293 §3.8.6.3, RFC 5681 §4.2 as Linux does it).
    // RFC 2883 §4: the first SACK block of the next ACK reports the duplicate (D-SACK).
    if (r.duplicate !== null && this.sackEnabled) this.pendingDsack = { left: r.duplicate.left, right: r.duplicate.right };
    if (accepted === 0 || outOfOrder) {
      // A duplicate or out-of-order segment: ACK at once (RFC 5681 §4.2 "SHOULD send an
      // immediate duplicate ACK when an out-of-order segment arrives").
      this.ackNow = true;
      // Linux tcp_data_queue: a retransmission of what we have means our ACK was lost.
      if (accepted === 0 && !outOfOrder) this.enterQuickAckMode();
    } else if (hadOutOfOrder) {
      // "... and SHOULD send an immediate ACK when the incoming segment fills in all or part of
      // a gap in the sequence space."
      this.ackNow = true;
    } else {
      this.dataArrived(now);
    }
    return true;
  }

  /** Linux tcp_event_data_recv + __tcp_ack_snd_check for an in-order segment. */
  private dataArrived(now: number): void {
    const cfg = this.config;
    if (this.lastDataAt === undefined) {
      // The first data packet: quick ACKs (tcp_incr_quickack), up to rcv_wnd / (2 × rcv_mss).
      this.quickAcks = this.quickAckCount();
      this.ato = cfg.delackMin;
    } else {
      // Linux adapts the delayed-ACK timeout (ato) to the gap between segments.
      const m = now - this.lastDataAt;
      if (m <= cfg.delackMin / 2) this.ato = this.ato / 2 + cfg.delackMin / 2;
      else if (m < this.ato) this.ato = Math.min(this.ato / 2 + m, this.rtt.rto);
      else if (m > this.rtt.rto) {
        // "Too long gap. Apparently sender failed to restart window, so that we send ACKs
        // quickly": tcp_incr_quickack(sk, TCP_MAX_QUICKACKS), the same count as at the start.
        this.quickAcks = Math.max(this.quickAcks, this.quickAckCount());
      }
      this.ato = Math.min(Math.max(this.ato, cfg.delackMin), cfg.delackMax);
    }
    this.lastDataAt = now;
    // "More than one full frame received" since the last ACK, or quick ACK mode: ACK now
    // (RFC 5681 §4.2: "an ACK SHOULD be generated for at least every second full-sized
    // segment").
    // tcp_in_quickack_mode: quick ACKs left and not in ping-pong mode.
    const fullFrames = seqDiff(this.rcvBuf.rcvNxt, this.lastAckSent) > this.rcvMss;
    if (fullFrames || (this.quickAcks > 0 && !this.pingpong)) {
      this.ackNowIsQuick = !fullFrames && !this.ackNow;
      this.ackNow = true;
      return;
    }
    if (this.timers.delack === undefined) this.timers.delack = now + Math.round(this.delackTimeout());
  }

  /** Linux tcp_enter_quickack_mode: quick ACKs again, out of ping-pong mode, ato deflated. */
  private enterQuickAckMode(): void {
    this.quickAcks = Math.max(this.quickAcks, this.quickAckCount());
    this.pingpong = false;
    this.ato = this.config.delackMin;
  }

  /** Linux tcp_incr_quickack: rcv_wnd / (2 × rcv_mss), at least 2, at most TCP_MAX_QUICKACKS. */
  private quickAckCount(): number {
    return Math.min(this.config.quickAcks, Math.max(2, Math.floor(this.rcvWnd / (2 * this.rcvMss))));
  }

  /**
   * Linux tcp_send_delayed_ack: an ato above TCP_DELACK_MIN is bounded by the smoothed RTT
   * ("If some rtt estimate is known, use it to bound delayed ack"), never below TCP_DELACK_MIN,
   * and by TCP_DELACK_MAX.
   */
  private delackTimeout(): number {
    const cfg = this.config;
    let ato = this.ato;
    const srtt = this.rtt.srtt;
    if (ato > cfg.delackMin && srtt !== undefined) ato = Math.min(ato, Math.max(srtt, cfg.delackMin));
    return Math.min(ato, cfg.delackMax);
  }

  /** Eighth step, once RCV.NXT reaches the FIN (immediately or when a gap fills). */
  private consumeFin(now: number): void {
    if (this.finReceived || this.finRcvSeq === undefined || this.rcvBuf.rcvNxt !== this.finRcvSeq) return;
    this.finReceived = true;
    // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN."
    switch (this.st.name) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        // "Enter the CLOSE-WAIT state." Linux enters ping-pong mode here (tcp_fin), so the ACK
        // is delayed and often carries our own FIN: the three-packet close seen in captures.
        // But the delay is the ato, which is still 0 on a connection that never received data
        // (tcp_send_delayed_ack arms the timer at jiffies + 0): the ACK goes at once, and
        // a close() that follows sends its FIN separately (captured on Linux 6.18).
        this.setState({ name: 'CLOSE-WAIT' }, 'fin', now);
        this.quickAcks = 0;
        this.pingpong = true;
        // Data in the FIN's segment asked for a quick ACK: in ping-pong mode now, it waits.
        if (this.ackNowIsQuick) this.ackNow = false;
        if (this.lastDataAt === undefined) this.ackNow = true;
        else if (!this.ackNow && this.timers.delack === undefined) this.timers.delack = now + Math.round(this.delackTimeout());
        break;
      case 'FIN-WAIT-1':
        // "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT ...;
        // otherwise, enter the CLOSING state." (An ACK of our FIN already moved us to FIN-WAIT-2.)
        this.ackNow = true;
        this.setState({ name: 'CLOSING' }, 'fin', now);
        break;
      case 'FIN-WAIT-2':
        // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
        // The ACK goes now: TIME-WAIT (or CLOSED with msl 0) sends nothing on its own.
        this.sendAck(now);
        this.enterTimeWait('fin', now);
        break;
      default:
        this.ackNow = true;
        break;
    }
  }

  /**
   * TIME-WAIT, as Linux's tcp_timewait_state_process (which RFC 9293 §3.10.7.4 agrees with in
   * substance): an in-window bare ACK or RST at exactly RCV.NXT; everything else (a
   * retransmitted FIN in particular) is ACKed and restarts the 2 MSL timer.
   */
  private inputTimeWait(seg: IncomingSegment, now: number): void {
    if (this.st.name !== 'TIME-WAIT') return;
    const rst = (seg.flags & TCP_RST) !== 0;
    const syn = (seg.flags & TCP_SYN) !== 0;
    const len = segmentLength(seg);
    // Linux tcp_paws_reject(&tmp_opt, th->rst): here a RST is subject to PAWS too, unless
    // TS.Recent is older than TCP_PAWS_MSL (60 s); a rejected RST is ignored below.
    const paws = this.pawsReject(seg, now) && !(rst && now - this.tsRecentAt >= TCP_PAWS_MSL);
    if (!paws && seg.seq === this.rcvNxt && (len === 0 || rst)) {
      if (rst) {
        // RFC 9293 §3.10.7.4 second step, TIME-WAIT: "If the RST bit is set, then enter the
        // CLOSED state". RFC 1337 (TIME-WAIT assassination) says ignore it: `tcpRfc1337`.
        if (!this.config.tcpRfc1337) this.enterClosed('rst', now, undefined);
        return;
      }
      this.restartTimeWait(now);
      this.updateTsRecent(seg, now);
      return;
    }
    // A new SYN that may reopen the 4-tuple: the stack decides (acceptsNewSyn); left here, it is
    // ACKed like any other out-of-window segment, without restarting the timer.
    if (syn && !rst && (seg.flags & TCP_ACK) === 0 && !paws && this.acceptsNewSyn(seg) !== undefined) {
      this.oowAck(seg, now);
      return;
    }
    if (paws) {
      this.rare.pawsEstabRejected++;
      this.dropped('paws', seg, now);
    }
    if (rst) return;
    // RFC 9293 §3.10.7.4 eighth step, TIME-WAIT: "Remain in the TIME-WAIT state. Restart the
    // 2 MSL time-wait timeout." (Linux restarts it for anything carrying ACK, or PAWS-rejected.)
    if (paws || (seg.flags & TCP_ACK) !== 0) this.restartTimeWait(now);
    this.oowAck(seg, now);
  }

  // ------------------------------------------------------------------------------------------
  // Checks

  /** RFC 9293 §3.10.7.4, the acceptability table, against the window we advertised. */
  private acceptable(seq: number, len: number): boolean {
    return isAcceptable(seq, len, this.rcvNxt, this.rcvWnd);
  }

  /** Linux tcp_reset_check: SEG.SEQ = RCV.NXT − 1 in CLOSE-WAIT, LAST-ACK or CLOSING. */
  private resetCheck(seq: number): boolean {
    const name = this.st.name;
    return (name === 'CLOSE-WAIT' || name === 'LAST-ACK' || name === 'CLOSING') && seq === seqAdd(this.rcvNxt, -1);
  }

  /** RFC 7323 §5.3 R1, when timestamps are in use. */
  private pawsReject(seg: IncomingSegment, now: number): boolean {
    return this.timestampsEnabled && pawsRejects(seg.tsVal, this.tsRecent, this.tsRecentAt, now);
  }

  private updateTsRecent(seg: IncomingSegment, now: number): void {
    if (!this.timestampsEnabled || seg.tsVal === undefined) return;
    if (seqGe(seg.tsVal, this.tsRecent) && seqLe(seg.seq, this.lastAckSent)) {
      this.tsRecent = seg.tsVal;
      this.tsRecentAt = now;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Handshake helpers

  /**
   * Options of the peer's SYN or SYN-ACK, against ours. RFC 7323 §2.2 / §3.2: window scaling
   * and timestamps are used only if both SYNs carry them; RFC 2018 §2 likewise for SACK.
   */
  private negotiate(seg: IncomingSegment, now: number): void {
    const n = negotiate(this.config, seg, this.rcvBuf.capacity);
    this.peerMss = n.peerMss;
    this.wscaleOn = n.wscaleOn;
    this.sndWscale = n.sndWscale;
    this.rcvWscale = n.rcvWscale;
    this.windowClamp = negotiatedWindowClamp(n.rcvWscale, this.rcvBuf.capacity, rcvbufLocked(this.config));
    this.sackEnabled = n.sack;
    this.timestampsEnabled = n.timestamps;
    if (n.timestamps && seg.tsVal !== undefined) {
      this.tsRecent = seg.tsVal;
      this.tsRecentAt = now;
    }
  }


  /** The peer's SYN: IRS and RCV.NXT (§3.10.7.2 / §3.10.7.3 "RCV.NXT is set to SEG.SEQ+1,
   *  IRS is set to SEG.SEQ"). */
  private receiveSyn(seg: IncomingSegment): void {
    this.irs = seg.seq;
    this.rcvBuf.reset(seqAdd(seg.seq, 1));
    this.lastAckSent = this.rcvBuf.rcvNxt;
    // The window our SYN offered (none yet on a passive open: the SYN-ACK sets it).
    this.rcvAdvEnd = seqAdd(this.rcvBuf.rcvNxt, this.rcvSsthresh);
  }

  /** Our SYN is acknowledged: RTT sample from the handshake (Karn: only if sent once). */
  private synAcked(seg: IncomingSegment, now: number): void {
    this.timers.rtx = undefined;
    this.lastAckRcvdAt = now;
    let sample: number | undefined;
    const fromTs = this.timestampsEnabled && seg.tsEcr !== undefined && seg.tsEcr !== 0;
    if (fromTs && seg.tsEcr !== undefined) sample = seqDiff(this.tsNow(now), seg.tsEcr);
    else if (this.rtxAttempts === 0) sample = now - this.rttStart;
    if (sample !== undefined && sample >= 0) this.rttSample(sample, now, fromTs);
    // RFC 6298 §5.7: no sample from the handshake (a SYN was retransmitted): RTO 3 s.
    this.rtt.onEstablished();
    this.handshakeRetransmits = this.rtxAttempts;
    this.rtxAttempts = 0;
    this.sndUna = seqAdd(this.iss, 1);
    if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
  }

  /** After ESTABLISHED: a close that was waiting for the handshake proceeds. */
  private afterEstablished(now: number): void {
    // The controller needs the negotiated MSS and SACK (Linux tcp_init_transfer).
    this.ccNow = this.makeCongestionControl(this.sendMss);
    this.cc.onEstablished({ now, sndNxt: this.sndMax, handshakeRetransmits: this.handshakeRetransmits, sack: this.sackEnabled });
    this.scoreboard = this.sackEnabled ? new SackScoreboard(this.sndUna) : undefined;
    // net.ipv4.tcp_recovery 0x1: RACK (it needs SACK, as in Linux).
    const recovery = this.config.tcpRecovery;
    this.rack = this.sackEnabled && (recovery & 1) !== 0 ? new Rack(DEFAULT_DUP_THRESH, (recovery & 2) !== 0) : undefined;
    this.restartKeepalive(now);
    this.initBufferSpace();
    if (this.finSeq !== undefined && this.st.name === 'ESTABLISHED') this.setState({ name: 'FIN-WAIT-1' }, 'close', now);
  }

  /** Linux tcp_init_buffer_space (from tcp_init_transfer): the window clamp within the buffer
   *  (its first round trip of auto-tuning starts with the first segment, {@link rcvSpace}). */
  private initBufferSpace(): void {
    const r = initBufferSpace({
      windowClamp: this.windowClamp,
      capacity: this.rcvBuf.capacity,
      advmss: this.advMss,
      appWin: this.config.tcpAppWin,
      rcvSsthresh: this.rcvSsthresh,
    });
    this.windowClamp = r.windowClamp;
    this.rcvSsthresh = r.rcvSsthresh;
  }

  /** rcvq_space.space as tcp_init_buffer_space sets it: min(rcv_ssthresh, rcv_wnd, TCP_INIT_CWND
   *  × advmss). Until data arrives neither of them moves. */
  private initialRcvSpace(): number {
    return Math.min(this.rcvSsthresh, seqDiff(this.rcvAdvEnd, this.lastAckSent), TCP_INIT_CWND * this.advMss);
  }

  /** The auto-tuning state, made on first use after the handshake: its first round trip starts
   *  then (Linux starts it at establishment; nothing arrives in between). */
  private rcvSpace(now: number): RcvSpace {
    let s = this.rcvSpaceState;
    if (s === undefined) {
      s = this.rcvSpaceState = new RcvSpace();
      s.start(this.copiedSeq, this.initialRcvSpace(), now);
    }
    return s;
  }

  /** Linux copied_seq: the first byte the application has not read. */
  private get copiedSeq(): number {
    return seqAdd(this.rcvBuf.rcvNxt, -this.rcvBuf.readable);
  }

  /** Linux tcp_rcv_space_adjust, after the application read: once per receiver RTT, the buffer
   *  grows when the application read more in that RTT than ever before. */
  private rcvSpaceAdjust(now: number): void {
    const copied = this.rcvSpaceState?.adjust(this.copiedSeq, this.rcvBuf.readable, now);
    if (copied !== undefined) this.rcvbufGrow(copied, now);
  }

  /** Linux tcp_rcvbuf_grow: the buffer (sk_rcvbuf) and the window clamp follow what the
   *  application reads, up to tcp_rmem[2], unless SO_RCVBUF locked it or tcp_moderate_rcvbuf
   *  is off. The storage itself still grows only as data arrives. */
  private rcvbufGrow(newval: number, now: number): void {
    const cfg = this.config;
    const cap = Math.min(cfg.tcpRmem[2], MAX_BUFFER_CAPACITY);
    const rcvSpace = this.rcvSpace(now);
    const rcvbuf = rcvSpace.grow(newval, this.rcvBuf.outOfOrderExtent, cap, cfg.tcpModerateRcvbuf && !rcvbufLocked(cfg));
    if (rcvbuf <= this.rcvBuf.capacity) return;
    this.rcvBuf.setCapacity(rcvbuf);
    // "Make the window clamp follow along."
    this.windowClamp = rcvbuf;
    this.event({ type: 'rcvbuf', rcvbuf, space: rcvSpace.space, rcvRtt: rcvSpace.rtt ?? 0, at: now });
  }

  /** Linux tcp_grow_window, for `len` bytes just queued. */
  private growWindow(len: number): void {
    const free = this.rcvBuf.capacity - this.rcvBuf.readable - this.rcvBuf.outOfOrderBytes;
    this.rcvSsthresh = growRcvSsthresh(this.rcvSsthresh, { windowClamp: this.windowClamp, free, advmss: this.advMss, len });
  }

  private sendSyn(now: number): void {
    const cfg = this.config;
    this.rttStart = now;
    // Linux tcp_select_initial_window: the largest multiple of the MSS within 65535 (a SYN's
    // window is never scaled): 64240 for MSS 1460.
    const initial = initialWindow(this.rcvBuf.capacity, this.ourMss);
    this.rcvSsthresh = initial;
    const options = linuxSynOptions({
      mss: this.ourMss,
      sackPermitted: cfg.tcpSack,
      tsVal: cfg.tcpTimestamps ? this.tsNow(now) : undefined,
      tsEcr: 0,
      windowScale: cfg.tcpWindowScaling ? offeredWscale(cfg, this.rcvBuf.capacity) : undefined,
    });
    this.push({ seq: this.iss, ack: 0, flags: TCP_SYN, window: initial, options, payload: EMPTY });
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = seqMax(this.sndMax, this.sndNxt);
  }

  private sendSynAck(now: number): void {
    this.rttStart = now;
    // Linux tcp_openreq_init_rwin: the MSS less the timestamp option when negotiated, so 65160
    // = 45 × 1448 at MTU 1500.
    const initial = initialWindow(this.rcvBuf.capacity, this.ourMss - (this.timestampsEnabled ? TS_OPTION_SPACE : 0));
    this.rcvSsthresh = Math.max(this.rcvSsthresh, initial);
    const edge = seqAdd(this.rcvBuf.rcvNxt, initial);
    if (seqGt(edge, this.rcvAdvEnd)) this.rcvAdvEnd = edge; // never shrink
    const options = linuxSynOptions({
      mss: this.ourMss,
      sackPermitted: this.sackEnabled,
      tsVal: this.timestampsEnabled ? this.tsNow(now) : undefined,
      tsEcr: this.tsRecent,
      windowScale: this.wscaleOn ? this.rcvWscale : undefined,
    });
    this.push({ seq: this.iss, ack: this.rcvNxt, flags: TCP_SYN | TCP_ACK, window: initial, options, payload: EMPTY });
    this.lastAckSent = this.rcvNxt;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = seqMax(this.sndMax, this.sndNxt);
  }


  // ------------------------------------------------------------------------------------------
  // Output

  /** Send what may be sent now: data, FIN, and a pending ACK. */
  private output(now: number): void {
    const name = this.st.name;
    if (name === 'CLOSED' || name === 'TIME-WAIT') return;
    if (name !== 'SYN-SENT' && name !== 'SYN-RECEIVED') this.transmit(now);
    if (this.ackNow) this.sendAck(now);
  }

  private canSendData(): boolean {
    const name = this.st.name;
    return name === 'ESTABLISHED' || name === 'CLOSE-WAIT' || name === 'FIN-WAIT-1' || name === 'CLOSING' || name === 'LAST-ACK';
  }

  /** New data and the FIN, within the peer's window and cwnd, Nagle permitting. */
  private transmit(now: number): void {
    if (!this.canSendData()) return;
    const mss = this.sendMss;
    // RFC 6675 §5 (C): in recovery, lost segments go before new data.
    if (this.scoreboard !== undefined && this.cc.caState === 'recovery') this.retransmitLost(now, false);
    for (;;) {
      if (this.skipSacked()) continue;
      const sb = this.scoreboard;
      const offset = seqDiff(this.sndNxt, this.bufSeq);
      const queued = this.sndBuf.length - offset;
      const wndEnd = seqAdd(this.sndUna, this.sndWnd);
      if (queued <= 0) {
        // Only the FIN is left. Linux checks it against the window like a 1-byte segment.
        if (this.finSeq !== undefined && this.sndNxt === this.finSeq && seqLe(seqAdd(this.sndNxt, 1), wndEnd)) {
          this.sendData(this.sndNxt, 0, true, now);
          continue;
        }
        break;
      }
      let len = Math.min(mss, queued);
      if (sb !== undefined && seqLt(this.sndNxt, this.sndMax)) len = Math.max(1, Math.min(len, seqDiff(sb.segmentEnd(this.sndNxt, mss, this.sndMax), this.sndNxt)));
      else if (queued > mss && this.sndNxt === this.sndMax) len = Math.max(len, this.tsoLength(mss, queued, wndEnd));
      // RFC 5681 §4.1 / Linux tcp_cwnd_restart (from tcp_event_data_sent): sending again after
      // an idle period longer than the RTO, cwnd shrinks first.
      if (this.sndUna === this.sndMax) this.cc.restartAfterIdle({ now, rto: this.rtt.rto, flightSize: 0 });
      // Linux tcp_snd_wnd_test: the whole segment must fit in the offered window (sender-side
      // SWS avoidance, RFC 9293 §3.8.6.2.1); otherwise the persist timer probes.
      if (seqGt(seqAdd(this.sndNxt, len), wndEnd)) break;
      // Congestion window (RFC 5681 §3.1; pipe with SACK, RFC 6675): the controller's quota.
      const inFlight = seqDiff(this.sndMax, this.sndUna);
      if (inFlight > 0 && this.cc.sendQuota(this.flight()) < len) break;
      const carriesFin = this.finSeq !== undefined && seqAdd(this.sndNxt, len) === this.finSeq;
      // Nagle (RFC 9293 §3.7.4) with Minshall's rule as in Linux tcp_nagle_check: a partial
      // segment waits while an earlier partial segment is unacknowledged, unless TCP_NODELAY,
      // it carries the FIN, or it is a retransmission.
      const isNew = !seqLt(this.sndNxt, this.sndMax);
      if (len < mss && isNew && !this.noDelay && !carriesFin && seqGt(this.sndSml, this.sndUna) && seqLe(this.sndSml, this.sndMax)) break;
      this.sendData(this.sndNxt, len, carriesFin, now);
    }
    this.scheduleLossProbe(now);
    this.checkPersist(now);
  }

  /**
   * Linux tcp_xmit_size_goal: with TSO (config.gsoMaxSize above the MSS), new data leaves in
   * super-segments of a whole number of MSS, at most gso_max_size less room for the headers
   * (MAX_TCP_HEADER + 1) and at most half the largest window the peer offered
   * (tcp_bound_to_half_wnd). Without TSO, one MSS.
   */
  private sizeGoal(mss: number): number {
    const gso = this.config.gsoMaxSize;
    if (gso <= mss) return mss;
    let goal = gso - GSO_HEADER_ROOM;
    if (this.maxSndWnd > DEFAULT_PEER_MSS) goal = Math.min(goal, this.maxSndWnd >>> 1);
    return Math.max(mss, goal - (goal % mss));
  }

  /**
   * The length of a super-segment of new data at SND.NXT (Linux tcp_write_xmit →
   * tcp_mss_split_point): the size goal, cut to the data queued, the room in the offered window
   * and the congestion window's quota, in whole MSS pieces (a partial tail goes on its own, under
   * Nagle's rule). 0 when less than one MSS fits: the usual single-segment checks decide.
   */
  private tsoLength(mss: number, queued: number, wndEnd: number): number {
    const goal = this.sizeGoal(mss);
    if (goal <= mss) return 0;
    // cwnd bounds a super-segment even with nothing in flight (one plain segment always goes).
    const fit = Math.min(goal, queued, seqDiff(wndEnd, this.sndNxt), this.cc.sendQuota(this.flight()));
    return fit >= mss ? fit - (fit % mss) : 0;
  }

  /** Going back after a timeout or a path MTU drop, skip what the receiver SACKed (RFC 6675
   *  §5.1). True when SND.NXT moved. */
  private skipSacked(): boolean {
    const sb = this.scoreboard;
    if (sb === undefined || !seqLt(this.sndNxt, this.sndMax) || !sb.isSacked(this.sndNxt)) return false;
    const block = sb.sackedBlocks().find((bl) => seqLe(bl.left, this.sndNxt) && seqLt(this.sndNxt, bl.right));
    if (block === undefined) return false;
    this.sndNxt = seqMax(this.sndNxt, block.right);
    return true;
  }

  /** One segment of `len` bytes at `seq` (plus the FIN), first transmission or go-back-N. */
  private sendData(seq: number, len: number, fin: boolean, now: number): void {
    this.sendSegment(seq, len, fin, now, true);
  }

  /**
   * A copy of send-buffer bytes [offset, offset + len) for a segment, with SEGMENT_HEADROOM free
   * bytes before it where the stack writes the IP and TCP headers, so the packet is built
   * around the data without copying it again (Linux's skb headroom).
   */
  private dataCopy(offset: number, len: number): Uint8Array {
    if (len <= 0) return EMPTY;
    const payload = takeBytes(SEGMENT_HEADROOM + len).subarray(SEGMENT_HEADROOM);
    this.sndBuf.copyTo(offset, payload);
    return payload;
  }

  /** `advance`: SND.NXT moves past the segment (false for a SACK hole retransmission). */
  private sendSegment(seq: number, len: number, fin: boolean, now: number, advance: boolean): void {
    const payload = this.dataCopy(seqDiff(seq, this.bufSeq), len);
    let flags = TCP_ACK;
    const endOfQueue = seqDiff(seqAdd(seq, len), this.bufSeq) === this.sndBuf.length;
    if (len > 0 && endOfQueue) flags |= TCP_PSH;
    if (fin) flags |= TCP_FIN;
    const retransmission = seqLt(seq, this.sndMax);
    // A super-segment counts as the segments the device cuts it into (Linux tcp_skb_pcount).
    const pcount = len > this.sendMss ? Math.ceil(len / this.sendMss) : 1;
    this.emit(flags, seq, payload, now, pcount > 1 ? this.sendMss : undefined);
    this.segsOut += pcount - 1;
    const end = seqAdd(seq, len + (fin ? 1 : 0));
    // Linux tcp_minshall_update runs for new data only (tcp_write_xmit), not retransmissions.
    if (len > 0 && len < this.sendMss && !retransmission) this.sndSml = seqAdd(seq, len);
    if (!retransmission) this.lastSegStart = seq;
    // Linux tcp_event_data_sent: "If it is a reply for ato after last received packet, increase
    // pingpong count" (inet_csk_inc_pingpong_cnt; tcp_pingpong_thresh 1 enters the mode).
    if (!retransmission && len > 0 && this.lastDataAt !== undefined && now - this.lastDataAt < this.ato) this.pingpong = true;
    this.rack?.onSend(seq, end, now);
    if (retransmission) {
      this.recoveryRtxTs ??= this.tsNow(now);
      this.rare.retransSegs++;
      this.scoreboard?.markRetransmitted(seq, end);
      this.rttSeq = undefined; // Karn
    } else if (this.rttSeq === undefined && !this.timestampsEnabled) {
      this.rttSeq = end;
      this.rttStart = now;
    }
    this.bytesSent += len;
    if (len > this.largestInFlight) this.largestInFlight = len;
    if (advance) this.sndNxt = seqMax(this.sndNxt, end);
    this.sndMax = seqMax(this.sndMax, end);
    this.cc.onDataSent({ now, bytes: len, retransmission, sndUna: this.sndUna, sndNxt: this.sndMax, ...this.flight() });
    // RFC 6298 (5.1): "Every time a packet containing data is sent (including a
    // retransmission), if the timer is not running, start it running".
    if (this.timers.rtx === undefined) this.timers.rtx = now + this.rtt.rto;
    this.timers.persist = undefined;
  }

  /**
   * RFC 8985 §7.2 / Linux tcp_schedule_loss_probe (tcp_early_retrans = 3, the default): with
   * SACK, in the Open state, data in flight and no probe outstanding, the retransmission timer
   * is armed earlier, at PTO = 2 × SRTT (plus TCP_RTO_MIN for a lone segment, whose ACK may be
   * delayed; 2 ms otherwise; the initial RTO without an RTT sample), never later than the RTO.
   */
  private scheduleLossProbe(now: number): void {
    if (!this.sackEnabled || this.scoreboard === undefined || this.cc.caState !== 'open') return;
    if (this.sndUna === this.sndMax || this.tlpHighSeq !== undefined || this.timers.rtx === undefined) return;
    if (this.rtxAttempts > 0) return;
    const srtt = this.rtt.srtt;
    const flight = seqDiff(this.sndMax, this.sndUna);
    let pto = srtt === undefined ? this.config.rtoInitial : 2 * srtt + (flight <= this.sendMss ? this.config.rtoMin : 2);
    pto = Math.min(pto, this.timers.rtx - now);
    this.timers.rtx = now + Math.max(pto, 0);
    this.rtxIsProbe = true;
  }

  /**
   * RFC 8985 §7.3 / Linux tcp_send_loss_probe: send one new segment if the windows allow,
   * else retransmit the last segment sent; then the RTO as usual.
   */
  private sendLossProbe(now: number): void {
    if (this.sndUna === this.sndMax || !this.canSendData()) return;
    const before = this.out.length;
    const offset = seqDiff(this.sndNxt, this.bufSeq);
    const queued = this.sndBuf.length - offset;
    const mss = this.sendMss;
    if (queued > 0 && this.sndNxt === this.sndMax && !seqGt(seqAdd(this.sndNxt, Math.min(mss, queued)), seqAdd(this.sndUna, this.sndWnd))) {
      const len = Math.min(mss, queued);
      const fin = this.finSeq !== undefined && seqAdd(this.sndNxt, len) === this.finSeq;
      this.sendData(this.sndNxt, len, fin, now);
    } else {
      // RFC 8985 §7.3: "retransmit the most recently sent segment" (Linux: the tail of the
      // retransmission queue, cut to its last MSS): from where the last new segment began to
      // SND.MAX (the FIN counts one), so a probe repeats that segment's boundaries exactly.
      const finOut = this.finSeq !== undefined && seqGt(this.sndMax, this.finSeq);
      const dataEnd = finOut && this.finSeq !== undefined ? this.finSeq : this.sndMax;
      const fallback = seqMax(this.sndUna, seqAdd(dataEnd, -Math.min(mss, Math.max(0, seqDiff(dataEnd, this.sndUna)))));
      const last = this.lastSegStart;
      const start = seqGe(last, this.sndUna) && seqLe(last, dataEnd) && seqDiff(dataEnd, last) <= mss ? last : fallback;
      const len = Math.max(0, seqDiff(dataEnd, start));
      if (len === 0 && !finOut) return;
      this.sendSegment(start, len, finOut, now, false);
    }
    this.rare.lossProbes++;
    const sent = this.out[before];
    if (sent !== undefined) {
      this.event({ type: 'retransmission', seq: sent.seq, len: sent.payload.length + ((sent.flags & TCP_FIN) !== 0 ? 1 : 0), rto: 0, attempt: 0, kind: 'tlp', at: now });
    }
    this.tlpHighSeq = this.sndMax;
    this.timers.rtx = now + this.rtt.rto;
    this.rtxIsProbe = false;
  }

  /** Linux tcp_check_probe_timer: data waits on the window with nothing in flight. */
  private checkPersist(now: number): void {
    const queued = this.sndBuf.length - seqDiff(this.sndNxt, this.bufSeq);
    const finWaiting = this.finSeq !== undefined && this.sndNxt === this.finSeq;
    if ((queued > 0 || finWaiting) && this.sndUna === this.sndMax && this.timers.rtx === undefined) {
      if (this.timers.persist === undefined) this.timers.persist = now + this.probeInterval();
    } else if (this.sndUna !== this.sndMax) {
      this.timers.persist = undefined;
    }
  }

  private probeInterval(): number {
    return probe0Timeout(this.rtt.rto, this.probeBackoff, this.config.rtoMin, this.config.rtoMax);
  }

  private sendAck(now: number): void {
    this.emit(TCP_ACK, this.sndNxt, EMPTY, now);
  }

  /**
   * RFC 5961 §7: challenge ACKs, at most one per `challengeAckInterval`. Linux
   * tcp_send_challenge_ack checks "our per-socket dupack rate limit" first, the same
   * tp->last_oow_ack_time as the out-of-window ACKs of oowAck: one stamp for both, so a
   * challenge ACK and a duplicate ACK never go out within 500 ms of each other.
   */
  private challengeAck(now: number): void {
    if (now - this.lastOowAckAt < this.config.challengeAckInterval) {
      this.rare.challengeAcksSkipped++;
      return;
    }
    this.lastOowAckAt = now;
    this.rare.challengeAcks++;
    this.sendAck(now);
  }

  /** The duplicate ACK for an unacceptable segment; Linux tcp_oow_rate_limited limits pure
   *  ACKs (which could loop between two confused ends) to one per 500 ms; data and FINs are
   *  always answered. */
  private oowAck(seg: IncomingSegment, now: number): void {
    const len = segmentLength(seg);
    if (len === 0 || (seg.flags & TCP_SYN) !== 0) {
      if (now - this.lastOowAckAt < OOW_ACK_INTERVAL) {
        this.rare.oowAcksSkipped++;
        return;
      }
      this.lastOowAckAt = now;
    }
    // Old data (a retransmission of what we have): report it as a D-SACK block (RFC 2883 §4,
    // Linux tcp_send_dupack with tcp_dsack = 1).
    if (seg.payload.length > 0 && seqLt(seg.seq, this.rcvNxt)) {
      this.enterQuickAckMode();
      const end = seqAdd(seg.seq, seg.payload.length);
      this.pendingDsack = { left: seg.seq, right: seqLt(end, this.rcvNxt) ? end : this.rcvNxt };
    }
    this.sendAck(now);
  }

  /** Build and queue a non-SYN segment from our side with the current ACK and window. */
  private emit(flags: number, seq: number, payload: Uint8Array, now: number, gsoSize?: number): void {
    const synchronizedRcv = this.irs !== undefined;
    const ack = synchronizedRcv ? this.rcvNxt : 0;
    if (synchronizedRcv && (flags & TCP_RST) === 0) flags |= TCP_ACK;
    const window = (flags & TCP_ACK) !== 0 || synchronizedRcv ? this.windowField(now) : 0;
    // RFC 2018 §3: 3 blocks fit beside timestamps, 4 without; a D-SACK block goes first
    // (RFC 2883 §4) and only once.
    let sackBlocks: SackBlock[] | undefined;
    if (this.sackEnabled && (flags & TCP_RST) === 0) {
      const max = this.timestampsEnabled ? 3 : 4;
      const dsack = this.pendingDsack;
      sackBlocks = dsack !== undefined ? [dsack, ...this.rcvBuf.sackBlocks(max - 1)] : this.rcvBuf.sackBlocks(max);
      this.pendingDsack = undefined;
    }
    const options: TcpOption[] = linuxTcpOptions({
      tsVal: this.timestampsEnabled ? this.tsNow(now) : undefined,
      tsEcr: this.tsRecent,
      sackBlocks,
    });
    const headroom = payload.length > 0 ? SEGMENT_HEADROOM : 0;
    this.push(gsoSize === undefined ? { seq, ack, flags, window, options, payload, headroom } : { seq, ack, flags, window, options, payload, headroom, gsoSize });
    if ((flags & TCP_ACK) !== 0) {
      // Linux tcp_dec_quickack_mode counts only ACKs that were due (inet_csk_ack_scheduled),
      // not every data segment that happens to carry an ACK; leaving quick ACK mode deflates
      // the ato.
      const ackWasDue = this.ackNow || this.timers.delack !== undefined || ack !== this.lastAckSent;
      this.lastAckSent = ack;
      this.ackNow = false;
      this.ackNowIsQuick = false;
      this.timers.delack = undefined;
      if (this.quickAcks > 0 && this.lastDataAt !== undefined && ackWasDue && --this.quickAcks === 0) this.ato = this.config.delackMin;
    }
  }

  private push(s: OutgoingSegment): void {
    this.segsOut++;
    this.out.push(s);
  }

  /**
   * The Window field, already scaled (RFC 7323 §2.3), and the right edge it promises.
   * Receiver SWS avoidance (RFC 9293 §3.8.6.2.2, Linux __tcp_select_window): a window below
   * min(half the buffer, one MSS) is advertised as zero; and an offered window is never
   * shrunk (§3.8.6.2.2 "the receiver SHOULD NOT shrink the window"). With scaling the window
   * is rounded up to the scale's unit, as Linux does (ALIGN), so it is not scaled away.
   */
  private windowField(now: number): number {
    const { field, window } = selectWindow(this.windowInput());
    const edge = seqAdd(this.rcvNxt, window);
    if (seqGt(edge, this.rcvAdvEnd) || this.irs === undefined) this.rcvAdvEnd = edge;
    if ((window === 0) !== this.rcvWndClosed && this.irs !== undefined) {
      this.rcvWndClosed = window === 0;
      this.event({ type: 'window', direction: 'receive', window, change: window === 0 ? 'zero' : 'open', at: now });
    }
    return field;
  }


  private windowInput(): WindowInput {
    return {
      space: this.rcvBuf.window(),
      capacity: this.rcvBuf.capacity,
      windowClamp: this.windowClamp,
      rcvSsthresh: this.rcvSsthresh,
      rcvMss: this.rcvMss,
      current: this.rcvWnd,
      lastWindow: seqDiff(this.rcvAdvEnd, this.lastAckSent),
      scale: this.rcvWscale,
    };
  }

  /** Linux tcp_cleanup_rbuf: after a read, ACK at once if the window at least doubled ("if
   *  this read freed lots of space in our buffer"). */
  private afterRead(windowBefore: number, now: number): void {
    if (!isSynchronized(this.st.name) || this.finReceived || this.st.name === 'TIME-WAIT') return;
    if (2 * windowBefore > this.windowClamp) return;
    const window = linuxWindow(this.windowInput());
    if (window > 0 && window >= 2 * windowBefore) {
      this.rare.windowUpdates++;
      this.sendAck(now);
    }
  }

  /** <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (§3.10.7.1); like
   *  Linux's tcp_v4_send_reset, no options and a zero window. Never for a RST. */
  private replyReset(seg: IncomingSegment): void {
    if (seg.flags & TCP_RST) return;
    this.rare.outRsts++;
    if (seg.flags & TCP_ACK) this.push({ seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, options: [], payload: EMPTY });
    else this.push({ seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: TCP_RST | TCP_ACK, window: 0, options: [], payload: EMPTY });
  }

  /** Linux tcp_send_active_reset: RST,ACK at SND.NXT with the usual options. */
  private sendActiveReset(now: number): void {
    this.rare.outRsts++;
    this.emit(TCP_RST | TCP_ACK, this.sndNxt, EMPTY, now);
  }

  // ------------------------------------------------------------------------------------------
  // Timers

  private fireTimers(now: number): void {
    const st = this.st;
    if (st.name === 'TIME-WAIT' && st.expiresAt <= now) {
      this.enterClosed('timeout', now, undefined);
      return;
    }
    if (st.name === 'FIN-WAIT-2' && st.orphanDeadline !== undefined && st.orphanDeadline <= now) {
      // Linux: an orphan with tcp_fin_timeout ≤ 60 s waits in a FIN_WAIT2 timewait socket that
      // then disappears without a word.
      this.enterClosed('fin-timeout', now, undefined);
      return;
    }
    if (this.timers.rtx !== undefined && this.timers.rtx <= now) {
      this.timers.rtx = undefined;
      if (this.rtxIsProbe) {
        this.rtxIsProbe = false;
        this.sendLossProbe(now);
      } else {
        this.onRetransmitTimeout(now);
      }
      if (this.st.name === 'CLOSED') return;
    }
    if (this.timers.reorder !== undefined && this.timers.reorder <= now) {
      this.timers.reorder = undefined;
      this.onReorderTimeout(now);
    }
    if (this.timers.persist !== undefined && this.timers.persist <= now) {
      this.timers.persist = undefined;
      this.onPersist(now);
      if (this.st.name === 'CLOSED') return;
    }
    if (this.timers.delack !== undefined && this.timers.delack <= now) {
      this.timers.delack = undefined;
      this.rare.delayedAcks++;
      // tcp_delack_timer_handler: "Delayed ACK missed: inflate ATO", or in ping-pong mode
      // "leave pingpong mode and deflate ATO".
      if (this.pingpong) {
        this.pingpong = false;
        this.ato = this.config.delackMin;
      } else {
        this.ato = Math.min(2 * this.ato, this.rtt.rto, this.config.delackMax);
      }
      this.output(now);
      if (this.timers.delack === undefined && this.lastAckSent !== this.rcvNxt) this.sendAck(now);
    }
    if (this.timers.keepalive !== undefined && this.timers.keepalive <= now) {
      this.timers.keepalive = undefined;
      this.onKeepalive(now);
    }
  }

  private onRetransmitTimeout(now: number): void {
    const st = this.st;
    const cfg = this.config;
    this.rare.timeouts++;
    if (st.name === 'SYN-SENT' || (st.name === 'SYN-RECEIVED' && !st.passive)) {
      // Linux tcp_retransmit_timer → tcp_write_timeout: SYNs on the tcp_syn_retries schedule
      // (src/tcp/timing/retransmit-schedule.ts), ETIMEDOUT when it runs out.
      if (synTimedOut(this.rtxAttempts, now - this.firstSynAt, this.synSchedule)) {
        this.timedOut('timeout', now);
        return;
      }
      if (st.name === 'SYN-SENT') this.sendSyn(now);
      else this.sendSynAck(now);
      this.rtxAttempts++;
      this.rare.retransSegs++;
      this.rare.synRetrans++;
      const rto = synRetransmitTimeout(this.rtxAttempts, this.synSchedule);
      this.event({ type: 'retransmission', seq: this.iss, len: 1, rto, attempt: this.rtxAttempts, kind: st.name === 'SYN-SENT' ? 'syn' : 'syn-ack', at: now });
      this.timers.rtx = now + rto;
      return;
    }
    if (st.name === 'SYN-RECEIVED') {
      // Linux reqsk_timer_handler: tcp_synack_retries, then the request is dropped silently.
      if (synAckTimedOut(this.rtxAttempts, this.synAckSchedule)) {
        this.enterClosed('timeout', now, undefined);
        return;
      }
      this.sendSynAck(now);
      this.rtxAttempts++;
      this.rare.retransSegs++;
      this.rare.synRetrans++;
      const rto = synAckRetransmitTimeout(this.rtxAttempts, this.synAckSchedule);
      this.event({ type: 'retransmission', seq: this.iss, len: 1, rto, attempt: this.rtxAttempts, kind: 'syn-ack', at: now });
      this.timers.rtx = now + rto;
      return;
    }
    if (this.sndUna === this.sndMax) return;
    // RFC 6298 (5.4)-(5.7) and Linux tcp_retransmit_timer. Once the tcp_retries2 budget
    // (924.6 s by default, a time: timing/retransmit-schedule.ts) is spent, the connection fails
    // with ETIMEDOUT and Linux sends nothing (tcp_write_err). Orphans use tcp_orphan_retries.
    this.retransStamp ??= now;
    // Linux tcp_retransmit_timer: "Receiver dastardly shrinks window. Our retransmits become
    // zero probes, but we should not timeout this connection. If the socket is an orphan, time
    // it out": with SND.WND = 0 the retransmissions do not count toward tcp_retries2; the
    // connection fails once nothing was received for 2 × TCP_RTO_MAX and the retransmissions
    // have lasted as long (tcp_rtx_probe0_timed_out; TCP_USER_TIMEOUT bounds both).
    const zeroWindowProbe = this.sndWnd === 0 && !this.orphaned;
    if (zeroWindowProbe) {
      const rtxDelta = now - this.retransStamp;
      let limit = 2 * cfg.rtoMax;
      if (cfg.userTimeout > 0) {
        if (rtxDelta > cfg.userTimeout) {
          this.timedOut('timeout', now);
          return;
        }
        limit = Math.min(limit, cfg.userTimeout);
      }
      if (now - this.lastAckRcvdAt > limit && rtxDelta > limit) {
        this.timedOut('timeout', now);
        return;
      }
    } else {
      if (this.rtxAttempts === 0) this.firstRetransmitAt = now;
      const retries2 = this.orphaned ? orphanRetries({ alive: this.rtt.rto < cfg.rtoMax }) : cfg.tcpRetries2;
      if (dataTimedOut({ retransmits: this.rtxAttempts, elapsedSinceFirstRetransmit: now - this.firstRetransmitAt, retries2, rtoMin: cfg.rtoMin, rtoMax: cfg.rtoMax, userTimeout: cfg.userTimeout })) {
        this.timedOut('timeout', now);
        return;
      }
      this.rtxAttempts++;
    }
    const fired = this.rtt.rto;
    const flightSize = seqDiff(this.sndMax, this.sndUna);
    // (5.5) "The host MUST set RTO <- RTO * 2 ("back off the timer")".
    this.rtt.backoff();
    // Linux tcp_enter_loss: "Timeout in disordered state after receiving substantial DUPACKs
    // suggests that the degree of reordering is over-estimated."
    const sb = this.scoreboard;
    const ca = this.cc.caState;
    if (this.rack !== undefined && sb !== undefined && (ca === 'open' || ca === 'disorder') && sb.sackedBytes >= DEFAULT_DUP_THRESH * this.sendMss) {
      this.rack.onTimeoutInDisorder(DEFAULT_DUP_THRESH);
      sb.dupThresh = this.rack.reordering;
    }
    this.timers.reorder = undefined;
    if (this.cc.caState !== 'loss') this.recoveryRtxTs = undefined;
    // RFC 5681 §3.1: cwnd to one segment, ssthresh from the flight; recovery ends. With SACK,
    // every unSACKed segment is now lost (Linux tcp_timeout_mark_lost).
    sb?.onRetransmissionTimeout(this.sndMax);
    this.cc.onRetransmissionTimeout({ now, sndUna: this.sndUna, sndNxt: this.sndMax, flightSize });
    this.rttSeq = undefined;
    this.tsAtLastRto = this.tsNow(now);
    this.tlpHighSeq = undefined;
    // (5.4) "Retransmit the earliest segment that has not been acknowledged": go-back-N from
    // SND.UNA; what follows goes out again as cwnd reopens.
    this.sndNxt = this.sndUna;
    this.lastRtoAt = now;
    const before = this.out.length;
    this.transmit(now);
    if (this.out.length === before) {
      // Nothing fitted the window (a zero window with data in flight): resend the head anyway.
      const offset = seqDiff(this.sndUna, this.bufSeq);
      const len = Math.min(this.sendMss, this.sndBuf.length - offset);
      const fin = this.finSeq !== undefined && seqAdd(this.sndUna, Math.max(0, len)) === this.finSeq;
      if (len > 0 || fin) this.sendData(this.sndUna, Math.max(0, len), fin, now);
    }
    const resent = this.out.length > before ? this.out[before]! : undefined;
    this.event({
      type: 'retransmission',
      seq: this.sndUna,
      len: resent ? resent.payload.length + ((resent.flags & TCP_FIN) !== 0 ? 1 : 0) : 0,
      rto: fired,
      attempt: this.rtxAttempts,
      kind: 'timeout',
      at: now,
    });
    // (5.6) "Start the retransmission timer, such that it expires after RTO seconds".
    this.timers.rtx = now + this.rtt.rto;
  }

  /** Linux tcp_probe_timer / tcp_write_wakeup: probe a zero (or too small) window. */
  private onPersist(now: number): void {
    const queued = this.sndBuf.length - seqDiff(this.sndNxt, this.bufSeq);
    const finWaiting = this.finSeq !== undefined && this.sndNxt === this.finSeq;
    if ((queued <= 0 && !finWaiting) || this.sndUna !== this.sndMax) return;
    // tcp_probe_timer: "if (icsk->icsk_probes_out >= max_probes) abort" (max_probes =
    // tcp_retries2).
    if (this.probesOut >= this.config.tcpRetries2) {
      this.timedOut('persist-timeout', now);
      return;
    }
    this.probesOut++;
    this.probeBackoff++;
    this.rare.windowProbes++;
    const room = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    if (room > 0 && queued > 0) {
      // "We are probing the opening of a window but the window size is != 0": send what fits.
      // It is new data like any other: the retransmission timer now covers it (sendData arms
      // it), and the persist timer stops (Linux tcp_event_new_data_sent → tcp_rearm_rto).
      const len = Math.min(room, queued, this.sendMss);
      const fin = this.finSeq !== undefined && seqAdd(this.sndNxt, len) === this.finSeq;
      this.event({ type: 'retransmission', seq: this.sndNxt, len, rto: this.probeInterval(), attempt: this.probesOut, kind: 'probe', at: now });
      this.sendData(this.sndNxt, len, fin, now);
      return;
    }
    // tcp_xmit_probe_skb: an ACK at SND.UNA − 1 with no data, which the peer must answer with
    // its current window (RFC 9293 §3.8.6.1 sends one byte; Linux does not).
    this.emit(TCP_ACK, seqAdd(this.sndUna, -1), EMPTY, now);
    this.event({ type: 'retransmission', seq: this.sndUna, len: 0, rto: this.probeInterval(), attempt: this.probesOut, kind: 'probe', at: now });
    this.timers.persist = now + this.probeInterval();
  }

  /** Linux tcp_keepalive_timer. */
  private onKeepalive(now: number): void {
    const cfg = this.config;
    const name = this.st.name;
    if (!this.keepalive || (name !== 'ESTABLISHED' && name !== 'CLOSE-WAIT' && name !== 'FIN-WAIT-2')) return;
    // Not idle: data in flight or queued; the retransmission timer is in charge.
    if (this.sndBuf.length > 0 || this.sndUna !== this.sndMax) {
      this.timers.keepalive = now + this.keepaliveTime;
      return;
    }
    if (this.keepaliveProbes >= cfg.keepaliveProbes) {
      // Linux sends a RST before reporting ETIMEDOUT here (unlike tcp_retries2).
      this.sendActiveReset(now);
      this.timedOut('keepalive-timeout', now);
      return;
    }
    this.keepaliveProbes++;
    this.rare.keepaliveProbes++;
    this.emit(TCP_ACK, seqAdd(this.sndUna, -1), EMPTY, now);
    this.timers.keepalive = now + cfg.keepaliveIntvl;
  }

  private isKeepaliveState(): boolean {
    const name = this.st.name;
    return name === 'ESTABLISHED' || name === 'CLOSE-WAIT' || name === 'FIN-WAIT-1' || name === 'FIN-WAIT-2' || name === 'CLOSING' || name === 'LAST-ACK';
  }

  private restartKeepalive(now: number): void {
    this.keepaliveProbes = 0;
    this.timers.keepalive = this.keepalive && this.isKeepaliveState() ? now + this.keepaliveTime : undefined;
  }

  /** An orphaned FIN-WAIT-2 in the phase Linux spends as a FIN_WAIT2 timewait socket. */
  private inOrphanTimewait(now: number): boolean {
    const st = this.st;
    if (st.name !== 'FIN-WAIT-2' || st.orphanDeadline === undefined) return false;
    return this.orphanKeepaliveUntil === undefined || now >= this.orphanKeepaliveUntil;
  }

  /** FIN-WAIT-2 of an orphan: gone after tcp_fin_time(); see activeTimer for its ss timer. */
  private orphanFinWait2(now: number): TcpState {
    const tmo = this.finTimeout();
    this.orphanKeepaliveUntil = tmo > TCP_TIMEWAIT_LEN ? now + tmo - TCP_TIMEWAIT_LEN : undefined;
    // Linux counts the timewait socket when it is scheduled; with a timeout above 60 s that is
    // when the keepalive phase ends, counted here at its start.
    this.countTimeWait(Math.min(tmo, TCP_TIMEWAIT_LEN));
    return { name: 'FIN-WAIT-2', orphanDeadline: now + tmo };
  }

  private finTimeout(): number {
    // Linux tcp_fin_time: at least 3.5 × RTO.
    return Math.max(this.config.tcpFinTimeout, Math.round(3.5 * this.rtt.rto));
  }

  // ------------------------------------------------------------------------------------------
  // State changes

  private setState(next: TcpState, cause: string, now: number): void {
    const from = this.st.name;
    this.st = next;
    if (from !== next.name) this.emitState(from, next.name, cause, now);
  }

  private emitState(from: TcpStateName, to: TcpStateName, cause: string, at: number): void {
    this.event({ type: 'state', from, to, cause, at });
  }

  private enterTimeWait(cause: string, now: number): void {
    this.stopTimers();
    if (this.config.msl === 0) {
      // `msl: 0` disables TIME-WAIT: the 4-tuple is free at once.
      this.enterClosed(cause, now, undefined);
      return;
    }
    // TW / TWKilled for TIME-WAIT are the stack's to count: its table knows whether
    // tcp_max_tw_buckets let the entry in (else TCPTimeWaitOverflow, and no TW).
    this.setState({ name: 'TIME-WAIT', enteredAt: now, expiresAt: now + 2 * this.config.msl }, cause, now);
  }

  /** Linux __inet_twsk_schedule: "kill = timeo <= 4*HZ" decides between TWKilled and TW. */
  private countTimeWait(timeout: number): void {
    if (timeout <= TW_KILL_TIMEOUT) this.rare.timeWaitsKilled++;
    else this.rare.timeWaits++;
  }

  private restartTimeWait(now: number): void {
    if (this.st.name !== 'TIME-WAIT') return;
    this.st = { name: 'TIME-WAIT', enteredAt: this.st.enteredAt, expiresAt: now + 2 * this.config.msl };
  }

  /** RFC 9293 §3.10.7.4 second step, the per-state reaction to an acceptable RST. */
  private resetByPeer(now: number): void {
    this.rare.inRsts++;
    const st = this.st;
    if (st.name === 'SYN-RECEIVED') {
      // "If this connection was initiated with a passive OPEN (i.e., came from the LISTEN
      // state), then return this connection to LISTEN state" (the listener is the stack's);
      // "If this connection was initiated with an active OPEN ... connection refused".
      this.enterClosed('rst', now, st.passive ? undefined : 'ECONNREFUSED');
      return;
    }
    // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: "connection reset"; CLOSING, LAST-ACK: "enter the
    // CLOSED state". Linux tcp_reset records an error in every one of them (SO_ERROR shows
    // it): EPIPE in CLOSE-WAIT, ECONNRESET elsewhere; we follow Linux.
    this.enterClosed('rst', now, st.name === 'CLOSE-WAIT' ? 'EPIPE' : 'ECONNRESET');
  }

  /**
   * Linux tcp_write_err: a connection that gives up reports the ICMP error it last heard of
   * (`sk_err_soft ? : ETIMEDOUT`), so a timeout after "host unreachable" says EHOSTUNREACH.
   */
  private timedOut(cause: string, now: number): void {
    const error = this.softErr ?? 'ETIMEDOUT';
    // tcp_done counts AttemptFails for any failure in SYN-SENT; enterClosed knows ETIMEDOUT.
    if (error !== 'ETIMEDOUT' && this.irs === undefined) this.rare.attemptFails++;
    this.enterClosed(cause, now, error);
  }

  private enterClosed(cause: string, now: number, error: TcpErrorCode | undefined): void {
    if (error !== undefined) this.err = error;
    // Linux tcp_set_state: TCP_MIB_ESTABRESETS counts leaving ESTABLISHED or CLOSE-WAIT for CLOSED.
    if ((error === 'ECONNRESET' || error === 'EPIPE') && (this.st.name === 'ESTABLISHED' || this.st.name === 'CLOSE-WAIT')) this.rare.estabResets++;
    if (error === 'ECONNREFUSED' || (error === 'ETIMEDOUT' && this.irs === undefined)) this.rare.attemptFails++;
    // Linux tcp_write_err: every ETIMEDOUT abort (retransmissions, zero-window probes, keepalive).
    if (error === 'ETIMEDOUT') this.rare.abortOnTimeout++;
    this.stopTimers();
    this.sndBuf.clear();
    this.setState({ name: 'CLOSED' }, cause, now);
  }

  private stopTimers(): void {
    this.timers.stopAll();
  }


  private canWrite(): boolean {
    if (this.finSeq !== undefined) return false;
    const name = this.st.name;
    return name === 'SYN-SENT' || name === 'SYN-RECEIVED' || name === 'ESTABLISHED' || name === 'CLOSE-WAIT';
  }

  // ------------------------------------------------------------------------------------------
  // Misc

  private updateWindow(window: number, seq: number, ack: number, syn: boolean, now: number): void {
    // RFC 7323 §2.2: "The window field in a segment where the SYN bit is set MUST NOT be scaled".
    const wnd = syn ? window : window * pow2(this.sndWscale);
    if ((wnd === 0) !== this.sndWndClosed) {
      this.sndWndClosed = wnd === 0;
      this.event({ type: 'window', direction: 'send', window: wnd, change: wnd === 0 ? 'zero' : 'open', at: now });
    }
    this.sndWnd = wnd;
    this.sndWl1 = seq;
    this.sndWl2 = ack;
    if (wnd > this.maxSndWnd) this.maxSndWnd = wnd;
    if (wnd > 0) this.probeBackoff = 0;
  }

  private rttSample(rtt: number, now: number, fromTimestamp: boolean): void {
    if (!this.rtt.sample(rtt, { now, sndUna: this.sndUna, sndNxt: this.sndMax, fromTimestamp })) return;
    this.event({ type: 'rtt-sample', rtt, srtt: this.rtt.srtt ?? rtt, rttvar: this.rtt.rttvar ?? rtt / 2, rto: this.rtt.rto, at: now });
  }


  private makeCongestionControl(mss: number): CongestionControl {
    return createCongestionControl(this.config.congestionControl, Math.max(1, mss), {
      initialWindow: this.config.initCwnd,
      recoveryWindow: this.sackEnabled ? 'prr' : 'newreno',
      onChange: (c) => this.event({ type: 'cwnd', cwnd: c.cwnd, ssthresh: c.ssthresh, cause: c.cause, at: c.now }),
    });
  }

  /** TSval: a millisecond clock, as Linux since 4.13 (tcp_clock_ms), plus the offset. */
  private tsNow(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }

  private event(e: TcpEvent): void {
    if (this.sink !== undefined) this.sink(e);
  }

  /** A segment dropped for `reason` (the trace's drop event; nothing is built without a sink). */
  private dropped(reason: DropReason, seg: IncomingSegment, now: number): void {
    if (this.sink !== undefined) this.sink({ type: 'drop', reason, seq: seg.seq, len: segmentLength(seg), at: now });
  }
}

const EMPTY = new Uint8Array(0);

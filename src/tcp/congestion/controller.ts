/**
 * Congestion control of one connection, sans-IO: the interface the connection drives
 * ({@link CongestionControl}), the pluggable algorithm behind it ({@link CongestionAlgorithm},
 * Linux's struct tcp_congestion_ops), and the two window helpers every algorithm shares.
 *
 * Units: bytes for every window and amount of data (cwnd, ssthresh, FlightSize, pipe, acked),
 * milliseconds for time. Linux counts cwnd in packets; tcplab counts bytes, as RFC 5681, RFC 6675
 * (pipe) and RFC 6937 (PRR) do and as the connection's SACK scoreboard does, and mirrors Linux's
 * packet arithmetic in units of one SMSS (the MSS of the connection): the initial window is
 * 10 × SMSS, slow start adds the bytes acknowledged, congestion avoidance adds one SMSS per
 * window acknowledged, the loss window is one SMSS. `ss` shows cwnd / SMSS.
 *
 * Who does what: the connection owns the segments, SND.UNA/SND.NXT, the SACK scoreboard and the
 * timers; it reports events (ACK, duplicate ACK, transmission, RTO, idle restart) and asks
 * {@link CongestionControl.sendQuota} how much it may send. The controller owns cwnd, ssthresh,
 * the recovery state (Linux's TCP_CA_Open/Disorder/Recovery/Loss, RFC 6582's `recover`) and tells
 * the connection, through an {@link AckVerdict}, when to fast retransmit.
 */

export type CongestionControlName = 'cubic' | 'newreno';

/**
 * Linux's congestion-avoidance states (icsk_ca_state) that tcplab uses:
 * - 'open': no loss suspected;
 * - 'disorder': duplicate ACKs seen, fewer than DupThresh (RFC 5681 §3.2);
 * - 'recovery': fast recovery after a fast retransmit (RFC 5681 §3.2, RFC 6582, RFC 6937);
 * - 'loss': after a retransmission timeout, until everything sent before it is acknowledged.
 * Linux's 'cwr' (ECN) is not used: tcplab does not negotiate ECN.
 */
export type CaState = 'open' | 'disorder' | 'recovery' | 'loss';

/**
 * How cwnd moves during fast recovery:
 * - 'prr' (default, Linux since 3.2): Proportional Rate Reduction, RFC 6937, with Linux's
 *   tcp_cwnd_reduction() details. cwnd tracks pipe, so the window deflates as ACKs arrive and
 *   sending resumes smoothly toward ssthresh; cwnd = ssthresh when recovery ends.
 * - 'newreno': RFC 5681 §3.2 / RFC 6582 §3.2: cwnd = ssthresh + 3·SMSS, inflated by SMSS per
 *   further duplicate ACK, deflated by each partial ACK, and set to
 *   min(ssthresh, max(FlightSize, SMSS) + SMSS) by the full ACK. Meant for connections without
 *   SACK; sendQuota() then compares cwnd with FlightSize, as RFC 5681 does.
 */
export type RecoveryWindow = 'prr' | 'newreno';

/** How slow start may end before a loss: Linux's HyStart (CUBIC only, on by default in Linux),
 *  RFC 9406 HyStart++ (any algorithm), or plain slow start. */
export type SlowStartExit = 'hystart' | 'hystart++' | 'off';

/** ssthresh before any congestion: "arbitrarily high" (RFC 5681 §3.1); Linux
 *  TCP_INFINITE_SSTHRESH. */
export const INFINITE_SSTHRESH = Number.POSITIVE_INFINITY;

/** TCP_INIT_CWND (RFC 6928), in segments. */
export const TCP_INIT_CWND = 10;

/** DupThresh (RFC 5681 §3.2, RFC 6675 §2); Linux net.ipv4.tcp_reordering. */
export const TCP_REORDERING = 3;

/** The amount of data in the network, after the event being reported. */
export interface FlightState {
  /** RFC 5681 FlightSize: bytes sent and not yet cumulatively acknowledged (SND.NXT − SND.UNA,
   *  SYN and FIN excluded or counted as 1, at the connection's choice). */
  readonly flightSize: number;
  /**
   * RFC 6675 §4 pipe (Linux tcp_packets_in_flight() in bytes): bytes believed to be in the
   * network, from the SACK scoreboard. Omit it without SACK: the controller then estimates it
   * as Linux does for Reno (each duplicate ACK is one SMSS that left the network; a segment the
   * controller declared lost counts only once retransmitted; after an RTO everything then
   * outstanding is lost until retransmitted).
   */
  readonly pipe?: number;
}

/** An ACK that advanced SND.UNA (it acknowledges new data). */
export interface AckEvent extends FlightState {
  readonly now: number;
  /** SEG.ACK, the new SND.UNA. */
  readonly ackNo: number;
  /** SND.NXT: the highest sequence number sent so far, plus one. */
  readonly sndNxt: number;
  /** Bytes newly acknowledged by the cumulative ACK field. */
  readonly acked: number;
  /**
   * Bytes newly delivered, RFC 6937's DeliveredData and Linux's acked_sacked: `acked` plus the
   * bytes newly SACKed, minus the bytes this ACK covers that were SACKed before. Give it with
   * SACK; without, the controller derives it from its count of duplicate ACKs.
   */
  readonly delivered?: number;
  /** An RTT sample taken from this ACK (Karn-valid), ms, for CUBIC and HyStart. */
  readonly rtt?: number;
  /** The SACK scoreboard declares the first unacknowledged segment lost (RFC 6675 §5 IsLost,
   *  or RACK): enter recovery on this ACK if allowed. */
  readonly lossDetected?: boolean;
  /** Bytes the scoreboard newly marked lost on this ACK (Linux newly_lost, for PRR). */
  readonly newlyLost?: number;
  /** The ACK's TSecr predates the first retransmission of this recovery: the original made it
   *  and the retransmission was not needed (RFC 3522 Eifel, Linux tcp_packet_delayed). */
  readonly originalDelivered?: boolean;
}

/** A D-SACK (RFC 2883) reported data received twice. */
export interface DsackEvent {
  readonly now: number;
  /** The duplicated range. */
  readonly left: number;
  readonly right: number;
  /** SND.UNA before the ACK that carried it. */
  readonly priorSndUna: number;
}

/** A duplicate ACK: RFC 5681 §2 without SACK, or with SACK any ACK that SACKs new data without
 *  advancing SND.UNA (RFC 6675 §2). */
export interface DupAckEvent extends FlightState {
  readonly now: number;
  /** SEG.ACK, equal to SND.UNA. */
  readonly ackNo: number;
  readonly sndNxt: number;
  /** Bytes newly SACKed. Without SACK omit it: each duplicate ACK counts as one SMSS. */
  readonly delivered?: number;
  /** See {@link AckEvent.lossDetected}. */
  readonly lossDetected?: boolean;
}

/** Data (new or retransmitted) just handed to the network. */
export interface SentEvent extends FlightState {
  readonly now: number;
  /** Bytes of payload sent (one segment or a burst). */
  readonly bytes: number;
  readonly retransmission?: boolean;
  readonly sndUna: number;
  /** SND.NXT after sending. */
  readonly sndNxt: number;
}

/** The retransmission timer expired (call before retransmitting). */
export interface TimeoutEvent {
  readonly now: number;
  readonly sndUna: number;
  readonly sndNxt: number;
  /** FlightSize when the timer fired. */
  readonly flightSize: number;
}

/** The handshake completed and data transmission begins. */
export interface EstablishedEvent {
  readonly now: number;
  readonly sndNxt: number;
  /** SYN or SYN-ACK retransmissions during the handshake (Linux total_retrans). */
  readonly handshakeRetransmits?: number;
  /** Both ends sent SACK-permitted (RFC 2018): ACK events will carry `pipe` and `delivered`. */
  readonly sack?: boolean;
}

export interface IdleCheck {
  readonly now: number;
  /** The current RTO (RttEstimator.rto), ms. */
  readonly rto: number;
  readonly flightSize: number;
}

/**
 * What the connection must do after an ACK:
 * - 'none': nothing beyond sending what sendQuota() allows;
 * - 'fast-retransmit': recovery began (RFC 5681 §3.2 step 2 / RFC 6675 §5 step 4): retransmit
 *   the first unacknowledged segment now;
 * - 'partial-ack': still in recovery (RFC 6582 §3.2 step 4): retransmit the next hole (without
 *   SACK the first unacknowledged segment; with SACK the scoreboard's NextSeg());
 * - 'recovery-complete': fast recovery, or the recovery after an RTO, is over.
 */
export type AckVerdict = 'none' | 'fast-retransmit' | 'partial-ack' | 'recovery-complete';

export type CongestionCause =
  | 'established'
  | 'slow-start'
  | 'congestion-avoidance'
  | 'slow-start-exit'
  | 'disorder'
  | 'enter-recovery'
  | 'recovery'
  | 'exit-recovery'
  | 'timeout'
  | 'exit-loss'
  | 'idle-restart'
  | 'undo';

/** Reported to the trace whenever cwnd, ssthresh or the state changes. */
export interface CongestionChange {
  readonly now: number;
  readonly cause: CongestionCause;
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly caState: CaState;
  readonly previous: { readonly cwnd: number; readonly ssthresh: number; readonly caState: CaState };
}

export interface CongestionSnapshot {
  readonly name: CongestionControlName;
  readonly mss: number;
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly caState: CaState;
  readonly recover: number | undefined;
  readonly dupAcks: number;
  readonly inSlowStart: boolean;
  readonly cwndLimited: boolean;
  readonly algorithm: Readonly<Record<string, number | boolean | string | undefined>>;
}

/** What the connection sees. Implemented by CongestionController (recovery.ts). */
export interface CongestionControl {
  readonly name: CongestionControlName;
  /** SMSS, bytes. */
  readonly mss: number;
  /** Bytes. */
  readonly cwnd: number;
  /** Bytes; {@link INFINITE_SSTHRESH} until the first congestion event. */
  readonly ssthresh: number;
  readonly caState: CaState;
  /** RFC 6582 `recover` as SND.NXT when recovery began (Linux high_seq): the recovery ends when
   *  SND.UNA reaches it. RFC 6582's recover is this minus one. */
  readonly recover: number | undefined;
  readonly inSlowStart: boolean;
  onEstablished(e: EstablishedEvent): void;
  onAck(e: AckEvent): AckVerdict;
  onDupAck(e: DupAckEvent): AckVerdict;
  /** RACK's reordering timer marked segments lost between ACKs (Linux tcp_rack_reo_timeout):
   *  enter recovery if the state allows ('fast-retransmit'). */
  onLossMarked(e: DupAckEvent): AckVerdict;
  /** A D-SACK arrived; true when it proved every retransmission of the last reduction
   *  spurious and the reduction was undone (Linux tcp_try_undo_dsack). */
  onDsack(e: DsackEvent): boolean;
  /** Reductions undone by timestamps (Linux TCPFullUndo) so far. */
  readonly timestampUndoCount: number;
  onDataSent(e: SentEvent): void;
  onRetransmissionTimeout(e: TimeoutEvent): void;
  /** Call before sending new data; reduces cwnd after an idle period. True if it did. */
  restartAfterIdle(e: IdleCheck): boolean;
  /** The controller's view of pipe for this flight (given or estimated), bytes. */
  pipe(flight: FlightState): number;
  /** Bytes that may be sent now: cwnd − pipe (or − FlightSize in 'newreno' recovery). */
  sendQuota(flight: FlightState): number;
  snapshot(): CongestionSnapshot;
}

/** The window state an algorithm works on (Linux snd_cwnd, snd_ssthresh, snd_cwnd_cnt). */
export interface CongestionWindow {
  cwnd: number;
  ssthresh: number;
  /** Bytes acknowledged toward the next SMSS of congestion-avoidance growth. */
  cwndCnt: number;
  readonly mss: number;
}

/** What an algorithm learns from each ACK of new data (Linux .pkts_acked). */
export interface AckedSample {
  readonly now: number;
  readonly rtt: number | undefined;
  readonly sndUna: number;
  readonly sndNxt: number;
}

/** The pluggable part (Linux struct tcp_congestion_ops). Slow start, the recovery state machine
 *  and PRR are common to all algorithms (as in Linux, where tcp_slow_start() and
 *  tcp_cwnd_reduction() are shared). */
export interface CongestionAlgorithm {
  readonly name: CongestionControlName;
  /** .init: the connection is established. */
  init(w: CongestionWindow, now: number, sndNxt: number): void;
  /** .ssthresh: the new ssthresh on a congestion event (fast retransmit or RTO). */
  ssthresh(w: CongestionWindow): number;
  /** .cong_avoid, past slow start: grow cwnd for `acked` bytes delivered. */
  congAvoid(w: CongestionWindow, acked: number, now: number): void;
  /** .pkts_acked: RTT samples (delay-based slow-start exit, CUBIC's delay_min). May end slow
   *  start by setting w.ssthresh = w.cwnd. */
  onAcked?(w: CongestionWindow, sample: AckedSample): void;
  /** .set_state(TCP_CA_Loss): a retransmission timeout. */
  onLoss?(now: number, sndNxt: number): void;
  /** CA_EVENT_TX_START: sending resumes with nothing in flight, last data sent at `lastSendTime`. */
  onTxStart?(now: number, lastSendTime: number): void;
  snapshot?(): Readonly<Record<string, number | boolean | string | undefined>>;
}

/**
 * Slow start, Linux tcp_slow_start(): cwnd grows by the bytes delivered, up to ssthresh; returns
 * what is left over for congestion avoidance. RFC 5681 §3.1 limits the growth to one SMSS per
 * ACK (RFC 3465 §2.2 allows L = 2·SMSS); Linux applies no limit (a delayed ACK for two segments
 * grows cwnd by two), and tcplab follows Linux.
 */
export function tcpSlowStart(w: CongestionWindow, acked: number): number {
  const cwnd = Math.min(w.cwnd + acked, w.ssthresh);
  const left = acked - (cwnd - w.cwnd);
  w.cwnd = cwnd;
  return left;
}

/**
 * Additive increase, Linux tcp_cong_avoid_ai() in bytes: one SMSS per `per` bytes delivered.
 * With per = cwnd this is RFC 5681 §3.1's byte counting ("increase cwnd by SMSS bytes when the
 * number of bytes acknowledged reaches cwnd", RFC 3465 §2.1); CUBIC passes a smaller `per` to
 * grow faster. Credit earned at a larger `per` is applied gently, one SMSS at a time, as Linux
 * does.
 */
export function tcpCongAvoidAi(w: CongestionWindow, per: number, acked: number): void {
  if (w.cwndCnt >= per) {
    w.cwndCnt = 0;
    w.cwnd += w.mss;
  }
  w.cwndCnt += acked;
  if (w.cwndCnt >= per) {
    const segments = Math.floor(w.cwndCnt / per);
    w.cwndCnt -= segments * per;
    w.cwnd += segments * w.mss;
  }
}

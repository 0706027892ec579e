/**
 * The congestion controller shared by every algorithm: Linux's congestion-avoidance state
 * machine (tcp_fastretrans_alert, tcp_cong_control, tcp_enter_loss, tcp_cwnd_restart,
 * tcp_init_transfer) around a pluggable {@link CongestionAlgorithm} (Reno or CUBIC).
 *
 * - Initial window: 10 SMSS (RFC 6928; Linux TCP_INIT_CWND), or 1 SMSS after a lossy handshake.
 * - Slow start and congestion avoidance: RFC 5681 §3.1, grown only while cwnd is the limit
 *   (Linux tcp_is_cwnd_limited(), RFC 7661's concern).
 * - Fast retransmit and fast recovery: RFC 5681 §3.2 entered on DupThresh duplicate ACKs (or a
 *   loss the SACK scoreboard detects), guarded by RFC 6582's `recover` so one window of data is
 *   reduced once; partial ACKs keep recovery going, the full ACK ends it (RFC 6582 §3.2). cwnd
 *   during recovery follows PRR (RFC 6937, Linux) or RFC 6582's inflation ('newreno').
 * - Retransmission timeout: the loss window of one SMSS (RFC 5681 §3.1), ssthresh reduced once per
 *   window of data, `recover` = SND.NXT (RFC 6582 §3.2 step 5).
 * - Restart after idle: RFC 5681 §4.1 as Linux does it (net.ipv4.tcp_slow_start_after_idle).
 *
 * Not implemented (documented gaps): undo of spurious reductions (Eifel / D-SACK / F-RTO,
 * RFC 5682: Linux tcp_frto = 2), ECN (CWR state), tail loss probes, pacing.
 */

import { seqGe, seqGt, seqLt } from '../../wire/seq.js';
import {
  INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  TCP_REORDERING,
  tcpSlowStart,
  type AckEvent,
  type AckVerdict,
  type CaState,
  type CongestionAlgorithm,
  type CongestionCause,
  type CongestionChange,
  type CongestionControl,
  type CongestionControlName,
  type CongestionSnapshot,
  type CongestionWindow,
  type DsackEvent,
  type DupAckEvent,
  type EstablishedEvent,
  type FlightState,
  type IdleCheck,
  type RecoveryWindow,
  type SentEvent,
  type TimeoutEvent,
} from './controller.js';
import { HyStartPlusPlus } from './hystart.js';

export interface CongestionOptions {
  /** SMSS in bytes (the connection's effective send MSS). */
  readonly mss: number;
  /** Initial window in segments (TcpConfig.initCwnd): 10, Linux TCP_INIT_CWND. RFC 6928 §2
   *  would cap it at max(2·SMSS, 14600 bytes) for large MSS; Linux does not, nor does tcplab. */
  readonly initialWindow?: number;
  /** 'prr' (default, Linux) or 'newreno' (RFC 6582 inflation). */
  readonly recoveryWindow?: RecoveryWindow;
  /** net.ipv4.tcp_slow_start_after_idle: true. */
  readonly tcpSlowStartAfterIdle?: boolean;
  /** DupThresh, net.ipv4.tcp_reordering: 3. */
  readonly tcpReordering?: number;
  /** Run RFC 9406 HyStart++ in the initial slow start. */
  readonly hystartPlusPlus?: boolean;
  /** Called on every change of cwnd, ssthresh or state, for the trace. */
  readonly onChange?: (change: CongestionChange) => void;
}

/** PRR's inputs for one ACK (RFC 6937 §3, Linux tcp_cwnd_reduction()), bytes. */
export interface PrrInput {
  readonly ssthresh: number;
  /** cwnd when recovery began (Linux prior_cwnd; RFC 6937 uses RecoverFS, the FlightSize then). */
  readonly priorCwnd: number;
  /** prr_delivered, including this ACK. */
  readonly prrDelivered: number;
  /** prr_out: bytes sent since recovery began. */
  readonly prrOut: number;
  readonly pipe: number;
  /** Bytes delivered by this ACK. */
  readonly delivered: number;
  readonly sndUnaAdvanced: boolean;
  readonly newlyLost: number;
  readonly mss: number;
}

/**
 * How much PRR lets the sender put into the network on this ACK (sndcnt); cwnd becomes
 * pipe + sndcnt. RFC 6937 §3:
 *   if (pipe > ssthresh) sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
 *   else sndcnt = MIN(ssthresh - pipe, MAX(prr_delivered - prr_out, DeliveredData) + MSS)
 * with Linux's choices: prior_cwnd for RecoverFS, the proportional part rounded up to whole
 * segments (Linux counts packets), the extra MSS of the slow-start reduction bound only when
 * SND.UNA advanced and nothing was newly lost, and at least one segment while nothing has been
 * sent yet ("Force a fast retransmit upon entering fast recovery").
 */
export function prrSendCount(p: PrrInput): number {
  const delta = p.ssthresh - p.pipe;
  let sndcnt: number;
  if (delta < 0) {
    const share = (p.ssthresh * p.prrDelivered) / (p.priorCwnd * p.mss);
    sndcnt = Math.ceil(share - 1e-9) * p.mss - p.prrOut;
  } else {
    sndcnt = Math.max(p.prrDelivered - p.prrOut, p.delivered);
    if (p.sndUnaAdvanced && p.newlyLost === 0) sndcnt += p.mss;
    sndcnt = Math.min(delta, sndcnt);
  }
  return Math.max(sndcnt, p.prrOut > 0 ? 0 : p.mss);
}

export class CongestionController implements CongestionControl {
  readonly mss: number;
  private readonly w: CongestionWindow;
  private readonly initialWindow: number;
  private readonly recoveryWindow: RecoveryWindow;
  private readonly slowStartAfterIdle: boolean;
  private readonly reordering: number;
  private readonly hystart: HyStartPlusPlus | undefined;
  private readonly listener: ((change: CongestionChange) => void) | undefined;

  private state: CaState = 'open';
  private recoverSeq: number | undefined;
  private dupAckCount = 0;
  private sack = false;
  private consecutiveTimeouts = 0;
  private lastSendTime: number | undefined;

  // Without SACK, Linux's Reno emulation (tcp_add_reno_sack): bytes the duplicate ACKs stand for.
  private renoSacked = 0;
  // Without SACK, the pipe estimate: the head declared lost and not yet retransmitted...
  private headLost = false;
  // ... and after an RTO, bytes then outstanding neither retransmitted nor ACKed since, and
  // bytes retransmitted since and not yet ACKed.
  private lostRemaining = 0;
  private rtxOutstanding = 0;

  // PRR (RFC 6937): prior_cwnd, prr_delivered, prr_out.
  private priorCwnd = 0;
  private prrDelivered = 0;
  private prrOut = 0;

  // Undo of a reduction found spurious (Linux undo_marker, undo_retrans, prior_cwnd and
  // prior_ssthresh): where the reduction began, the segments retransmitted since minus those
  // D-SACKed (undefined before the first retransmission), and the window to go back to.
  private undoMarker: number | undefined;
  private undoRetrans: number | undefined;
  private undoCwnd = 0;
  private undoSsthresh = 0;
  // Reductions undone by timestamps (a number, not an object: every connection has a controller;
  // the D-SACK undos are onDsack's answer).
  private timestampUndos = 0;

  // cwnd validation (Linux tcp_cwnd_validate): was cwnd the limit during the last window?
  private isCwndLimited = false;
  private maxFlight = 0;
  private cwndUsageSeq: number | undefined;

  constructor(
    readonly algorithm: CongestionAlgorithm,
    options: CongestionOptions,
  ) {
    if (!(Number.isInteger(options.mss) && options.mss > 0)) throw new RangeError(`mss must be a positive integer, got ${options.mss}`);
    this.mss = options.mss;
    this.initialWindow = (options.initialWindow ?? TCP_INIT_CWND) * this.mss;
    this.recoveryWindow = options.recoveryWindow ?? 'prr';
    this.slowStartAfterIdle = options.tcpSlowStartAfterIdle ?? true;
    this.reordering = options.tcpReordering ?? TCP_REORDERING;
    this.hystart = options.hystartPlusPlus === true ? new HyStartPlusPlus() : undefined;
    this.listener = options.onChange;
    // Linux tcp_init_sock: snd_cwnd = TCP_INIT_CWND, snd_ssthresh = TCP_INFINITE_SSTHRESH.
    this.w = { cwnd: this.initialWindow, ssthresh: INFINITE_SSTHRESH, cwndCnt: 0, mss: this.mss };
  }

  get name(): CongestionControlName {
    return this.algorithm.name;
  }

  get cwnd(): number {
    return this.w.cwnd;
  }

  get ssthresh(): number {
    return this.w.ssthresh;
  }

  get timestampUndoCount(): number {
    return this.timestampUndos;
  }

  get caState(): CaState {
    return this.state;
  }

  get recover(): number | undefined {
    return this.recoverSeq;
  }

  get dupAcks(): number {
    return this.dupAckCount;
  }

  /** RFC 5681 §3.1: slow start while cwnd < ssthresh (Linux tcp_in_slow_start). */
  get inSlowStart(): boolean {
    return this.w.cwnd < this.w.ssthresh;
  }

  onEstablished(e: EstablishedEvent): void {
    const before = this.mark();
    this.sack = e.sack === true;
    // RFC 5681 §3.1 and RFC 6928 §2: "If the SYN or SYN/ACK is lost, the initial window used by
    // a sender after a correctly transmitted SYN MUST be one segment". Linux (tcp_init_transfer)
    // cuts only after more than one retransmission, given the aggressive 1 s initial RTO of
    // RFC 6298; tcplab follows Linux.
    this.w.cwnd = (e.handshakeRetransmits ?? 0) > 1 ? this.mss : this.initialWindow;
    this.w.cwndCnt = 0;
    // Linux sets lsndtime here, so the first data is not taken for a restart after idle.
    this.lastSendTime = e.now;
    this.algorithm.init(this.w, e.now, e.sndNxt);
    this.hystart?.start(e.sndNxt);
    this.emit(e.now, 'established', before);
  }

  onAck(e: AckEvent): AckVerdict {
    const before = this.mark();
    const wasSlowStart = this.inSlowStart;
    // Linux tcp_ack: an ACK of new data clears the timeout count; RFC 5681 §3.2 / RFC 6675 §5
    // (1): a cumulative ACK resets DupAcks.
    this.consecutiveTimeouts = 0;
    this.dupAckCount = 0;
    const delivered = this.deliveredOnAck(e);
    this.lossAccountingOnAck(e.acked);

    // Linux .pkts_acked runs before the state machine: delay-based slow-start exit.
    this.algorithm.onAcked?.(this.w, { now: e.now, rtt: e.rtt, sndUna: e.ackNo, sndNxt: e.sndNxt });
    if (this.hystart?.active === true && this.inSlowStart && this.w.ssthresh === INFINITE_SSTHRESH) {
      // RFC 9406 §4.2: CSS is over, "ssthresh = cwnd" (kept at least 2 SMSS, as every ssthresh).
      if (this.hystart.onAck(e.ackNo, e.sndNxt)) this.w.ssthresh = Math.max(this.w.cwnd, 2 * this.mss);
    }

    let verdict: AckVerdict = 'none';
    const growthCause: CongestionCause = wasSlowStart ? 'slow-start' : 'congestion-avoidance';
    let cause: CongestionCause = growthCause;
    switch (this.state) {
      case 'recovery':
        if (seqGe(e.ackNo, this.recoverSeq!)) {
          // RFC 6582 §3.2 step 3, "Full acknowledgments"; Linux tcp_try_undo_recovery first:
          // if the original was delivered after all, the reduction is undone.
          if (e.originalDelivered === true && this.undoMarker !== undefined) {
            this.undo();
            this.timestampUndos++;
            this.emit(e.now, 'undo', before);
            return 'recovery-complete';
          }
          this.exitRecovery(e);
          verdict = 'recovery-complete';
          cause = 'exit-recovery';
        } else {
          // RFC 6582 §3.2 step 4, "Partial acknowledgments": the next hole is lost too; without
          // SACK that is the first unacknowledged segment (Linux tcp_newreno_mark_lost).
          if (!this.sack) this.headLost = true;
          verdict = 'partial-ack';
          cause = 'recovery';
        }
        break;
      case 'loss':
        if (seqGe(e.ackNo, this.recoverSeq!)) {
          // Everything outstanding at the timeout is acknowledged: back to open (Linux
          // tcp_process_loss); cwnd goes on from where slow start took it.
          this.state = 'open';
          this.lostRemaining = 0;
          this.rtxOutstanding = 0;
          verdict = 'recovery-complete';
          cause = 'exit-loss';
        }
        break;
      default:
        // Linux tcp_reset_reno_sack: outside recovery, new data ACKed forgets the dupacks.
        if (!this.sack) this.renoSacked = 0;
        this.state = 'open';
        if (e.lossDetected === true && this.mayEnterRecovery(e.ackNo)) {
          this.enterRecovery(e.sndNxt, e.ackNo);
          verdict = 'fast-retransmit';
          cause = 'enter-recovery';
        }
    }

    // Linux tcp_cong_control: PRR while in recovery, growth otherwise (also in 'loss', where
    // slow start climbs back from the loss window).
    // RFC 6582's full ACK sets cwnd itself; PRR's exit (Linux) grows on the same ACK.
    if (this.state === 'recovery') {
      this.recoveryWindowOnAck(e, delivered, verdict);
    } else if (!(this.recoveryWindow === 'newreno' && cause === 'exit-recovery')) {
      this.grow(delivered, e.now);
    }
    if (e.rtt !== undefined && this.hystart?.active === true && this.inSlowStart && this.w.ssthresh === INFINITE_SSTHRESH) {
      this.hystart.onRttSample(e.rtt);
    }
    if (cause === growthCause && this.w.ssthresh !== before.ssthresh) cause = 'slow-start-exit';
    this.emit(e.now, cause, before);
    return verdict;
  }

  onDupAck(e: DupAckEvent): AckVerdict {
    const before = this.mark();
    this.dupAckCount++;
    const delivered = this.deliveredOnDupAck(e);
    let verdict: AckVerdict = 'none';
    let cause: CongestionCause = 'disorder';
    switch (this.state) {
      case 'recovery':
        cause = 'recovery';
        if (this.recoveryWindow === 'newreno') {
          // RFC 5681 §3.2 step 4: "For each additional duplicate ACK received (after the third),
          // cwnd MUST be incremented by SMSS" (it left the network).
          this.w.cwnd += this.mss;
        } else {
          this.prr(e, delivered, false, 0);
        }
        break;
      case 'loss':
        // No fast retransmit before everything outstanding at the timeout is acknowledged
        // (RFC 6582 §3.2 step 5, Linux's TCP_CA_Loss); cwnd does not grow on a duplicate.
        break;
      default:
        if ((this.dupAckCount >= this.reordering || e.lossDetected === true) && this.mayEnterRecovery(e.ackNo)) {
          this.enterRecovery(e.sndNxt, e.ackNo);
          if (!this.sack) this.headLost = true;
          verdict = 'fast-retransmit';
          cause = 'enter-recovery';
          if (this.recoveryWindow === 'prr') this.prr(e, delivered, false, 0);
        } else {
          this.state = 'disorder';
        }
    }
    this.emit(e.now, cause, before);
    return verdict;
  }

  onLossMarked(e: DupAckEvent): AckVerdict {
    const before = this.mark();
    if (!this.mayEnterRecovery(e.ackNo)) return 'none';
    this.enterRecovery(e.sndNxt, e.ackNo);
    this.emit(e.now, 'enter-recovery', before);
    return 'fast-retransmit';
  }

  onDsack(e: DsackEvent): boolean {
    // Linux tcp_check_dsack: a duplicate of data retransmitted since the reduction began
    // (above undo_marker, below the cumulative ACK) means one retransmission was not needed.
    const marker = this.undoMarker;
    if (marker === undefined || this.undoRetrans === undefined || this.undoRetrans <= 0) return false;
    if (!seqGt(e.right, marker) || seqGt(e.right, e.priorSndUna)) return false;
    const segments = Math.max(1, Math.ceil(((e.right - e.left) >>> 0) / this.mss));
    this.undoRetrans = Math.max(0, this.undoRetrans - segments);
    if (this.undoRetrans > 0) return false;
    // Linux tcp_try_undo_dsack: every retransmission was spurious.
    const before = this.mark();
    this.undo();
    this.emit(e.now, 'undo', before);
    return true;
  }

  onDataSent(e: SentEvent): void {
    // Linux tcp_event_data_sent: CA_EVENT_TX_START when sending resumes with nothing in flight.
    if (e.retransmission !== true && e.flightSize - e.bytes <= 0 && this.lastSendTime !== undefined) {
      this.algorithm.onTxStart?.(e.now, this.lastSendTime);
    }
    this.lastSendTime = e.now;
    if (e.retransmission === true && this.undoMarker !== undefined) {
      this.undoRetrans = (this.undoRetrans ?? 0) + Math.max(1, Math.ceil(e.bytes / this.mss));
    }
    if (this.state === 'recovery') {
      this.prrOut += e.bytes; // RFC 6937: "prr_out += (data sent)"
      if (e.retransmission === true) this.headLost = false;
    } else if (this.state === 'loss' && e.retransmission === true) {
      const moved = Math.min(e.bytes, this.lostRemaining);
      this.lostRemaining -= moved;
      this.rtxOutstanding += e.bytes;
    }
    // Linux tcp_cwnd_validate: remember whether cwnd limited the sender during this window of
    // data, and the largest flight otherwise; a new window starts once SND.UNA passes the
    // SND.NXT recorded at the start of the previous one.
    const limited = this.pipe(e) >= this.w.cwnd;
    if (this.cwndUsageSeq === undefined || !seqLt(e.sndUna, this.cwndUsageSeq) || limited || (!this.isCwndLimited && e.flightSize > this.maxFlight)) {
      this.isCwndLimited = limited;
      this.maxFlight = e.flightSize;
      this.cwndUsageSeq = e.sndNxt;
    }
  }

  onRetransmissionTimeout(e: TimeoutEvent): void {
    const before = this.mark();
    // Linux tcp_enter_loss: "Reduce ssthresh if it has not yet been made inside this window":
    // not on the 2nd, 3rd... timeout of the same data (RFC 5681 §3.1: after a retransmitted
    // segment times out again, ssthresh is held constant), nor while recovering the same window.
    const reduce =
      this.state === 'open' ||
      this.state === 'disorder' ||
      this.recoverSeq === undefined ||
      !seqGt(this.recoverSeq, e.sndUna) ||
      (this.state === 'loss' && this.consecutiveTimeouts === 0);
    if (reduce) {
      this.initUndo(e.sndUna);
      this.w.ssthresh = this.algorithm.ssthresh(this.w);
    }
    this.algorithm.onLoss?.(e.now, e.sndNxt);
    // RFC 5681 §3.1: "upon a timeout cwnd MUST be set to no more than the loss window, LW, which
    // equals 1 full-sized segment" (Linux: packets in flight, all now lost, plus one).
    this.w.cwnd = this.mss;
    this.w.cwndCnt = 0;
    this.state = 'loss';
    // RFC 6582 §3.2 step 5: "After a retransmit timeout, record the highest sequence number
    // transmitted in the variable recover, and exit the fast recovery procedure if applicable."
    this.recoverSeq = e.sndNxt;
    this.consecutiveTimeouts++;
    this.dupAckCount = 0;
    this.renoSacked = 0;
    this.headLost = false;
    this.lostRemaining = e.flightSize;
    this.rtxOutstanding = 0;
    this.hystart?.finish();
    this.emit(e.now, 'timeout', before);
  }

  /**
   * RFC 5681 §4.1: "a TCP SHOULD set cwnd to no more than RW before beginning transmission if
   * the TCP has not sent data in an interval exceeding the retransmission timeout", with
   * RW = min(IW, cwnd). Linux (tcp_cwnd_restart,
   * after RFC 2861) instead halves cwnd once per RTO of idleness, down to RW, and first saves
   * 3/4 of cwnd in ssthresh so slow start climbs back quickly; tcplab follows Linux.
   */
  restartAfterIdle(e: IdleCheck): boolean {
    if (!this.slowStartAfterIdle || e.flightSize > 0 || this.lastSendTime === undefined) return false;
    let idle = e.now - this.lastSendTime;
    if (!(idle > e.rto)) return false;
    const before = this.mark();
    if (this.state !== 'recovery') this.w.ssthresh = Math.max(this.w.ssthresh, Math.floor((this.w.cwnd * 3) / 4));
    const restartCwnd = Math.min(this.initialWindow, this.w.cwnd);
    let cwnd = this.w.cwnd;
    while ((idle -= e.rto) > 0 && cwnd > restartCwnd) cwnd = Math.floor(cwnd / 2);
    this.w.cwnd = Math.max(cwnd, restartCwnd);
    this.w.cwndCnt = 0;
    this.emit(e.now, 'idle-restart', before);
    return true;
  }

  pipe(flight: FlightState): number {
    if (flight.pipe !== undefined) return flight.pipe;
    let pipe = flight.flightSize - this.renoSacked;
    if (this.state === 'recovery' && this.headLost) pipe -= Math.min(this.mss, flight.flightSize);
    if (this.state === 'loss') pipe -= this.lostRemaining;
    return Math.max(0, pipe);
  }

  /**
   * Bytes that may be sent now. Linux's rule (tcp_cwnd_test) is per packet: one more segment
   * while pipe < cwnd. In bytes: start a new segment (up to SMSS) whenever the quota is
   * positive; the overshoot is less than one segment, as with Linux's packet count.
   * RFC 3042 (limited transmit) needs no special case: the first duplicate ACKs lower pipe.
   * In 'newreno' recovery the RFC 5681 rule applies instead: cwnd − FlightSize.
   */
  sendQuota(flight: FlightState): number {
    const used = this.recoveryWindow === 'newreno' && this.state === 'recovery' ? flight.flightSize : this.pipe(flight);
    return Math.max(0, this.w.cwnd - used);
  }

  snapshot(): CongestionSnapshot {
    return {
      name: this.name,
      mss: this.mss,
      cwnd: this.w.cwnd,
      ssthresh: this.w.ssthresh,
      caState: this.state,
      recover: this.recoverSeq,
      dupAcks: this.dupAckCount,
      inSlowStart: this.inSlowStart,
      cwndLimited: this.cwndLimited(),
      algorithm: { ...(this.algorithm.snapshot?.() ?? {}), ...(this.hystart ? { hystartPlusPlusCss: this.hystart.inCss } : {}) },
    };
  }

  /**
   * RFC 6582 §3.2 step 1: without SACK, enter fast retransmit only if "the Cumulative
   * Acknowledgment field covers more than recover" (SEG.ACK − 1 > recover − 1 with tcplab's
   * recover = SND.NXT): duplicate ACKs for what the last recovery retransmitted must not start
   * another. With SACK the scoreboard tells a new loss from such duplicates, and a loss of the
   * very first segment sent after the last recovery began (the ACK then stays at `recover`)
   * must not wait for a timeout: Linux tcp_try_undo_recovery holds Reno only, "SACK TCP is
   * safe" (RFC 6675 §5 has no such check either).
   */
  private mayEnterRecovery(ackNo: number): boolean {
    if (this.state !== 'open' && this.state !== 'disorder') return false;
    return this.sack || this.recoverSeq === undefined || seqGt(ackNo, this.recoverSeq);
  }

  /** RFC 5681 §3.2 step 2 and RFC 6582 §3.2 step 2 (Linux tcp_enter_recovery and
   *  tcp_init_cwnd_reduction). */
  private enterRecovery(sndNxt: number, sndUna: number): void {
    this.recoverSeq = sndNxt; // "the highest sequence number transmitted"
    this.priorCwnd = this.w.cwnd;
    this.prrDelivered = 0;
    this.prrOut = 0;
    this.w.cwndCnt = 0;
    this.initUndo(sndUna);
    // RFC 5681 eq. (4) is ssthresh = max(FlightSize / 2, 2*SMSS); Linux asks the algorithm,
    // from cwnd (Reno: cwnd / 2, CUBIC: cwnd × 0.7), which cwnd validation keeps close to the
    // flight. tcplab follows Linux.
    this.w.ssthresh = this.algorithm.ssthresh(this.w);
    this.state = 'recovery';
    this.hystart?.finish();
    // RFC 5681 §3.2 step 3: "cwnd set to ssthresh plus 3*SMSS" (the DupThresh segments that left).
    if (this.recoveryWindow === 'newreno') this.w.cwnd = this.w.ssthresh + this.reordering * this.mss;
  }

  /** Linux tcp_init_undo with tcp_current_ssthresh: remember what a spurious reduction undoes. */
  private initUndo(sndUna: number): void {
    this.undoMarker = sndUna;
    this.undoRetrans = undefined;
    this.undoCwnd = this.w.cwnd;
    this.undoSsthresh = Math.max(this.w.ssthresh === INFINITE_SSTHRESH ? 0 : this.w.ssthresh, Math.floor((this.w.cwnd * 3) / 4));
    if (this.w.ssthresh === INFINITE_SSTHRESH) this.undoSsthresh = INFINITE_SSTHRESH;
  }

  /** Linux tcp_undo_cwnd_reduction: back to the window before the reduction, and out of
   *  recovery (tcp_try_to_open). */
  private undo(): void {
    this.w.cwnd = Math.max(this.w.cwnd, this.undoCwnd);
    if (this.undoSsthresh > this.w.ssthresh) this.w.ssthresh = this.undoSsthresh;
    this.w.cwndCnt = 0;
    this.undoMarker = undefined;
    this.undoRetrans = undefined;
    this.state = 'open';
    this.renoSacked = 0;
    this.headLost = false;
    this.lostRemaining = 0;
    this.rtxOutstanding = 0;
  }

  private recoveryWindowOnAck(e: AckEvent, delivered: number, verdict: AckVerdict): void {
    if (this.recoveryWindow === 'prr') {
      this.prr(e, delivered, true, e.newlyLost ?? 0);
      return;
    }
    if (verdict === 'fast-retransmit') return; // entered on this ACK: ssthresh + 3·SMSS already
    // RFC 6582 §3.2 step 4: "Deflate the congestion window by the amount of new data
    // acknowledged ... If the partial ACK acknowledges at least one SMSS of new data, then add
    // back SMSS bytes".
    let cwnd = this.w.cwnd - e.acked;
    if (e.acked >= this.mss) cwnd += this.mss;
    this.w.cwnd = Math.max(cwnd, this.mss);
  }

  private exitRecovery(e: AckEvent): void {
    if (this.recoveryWindow === 'prr') {
      // RFC 6937 §3 "At the end of recovery: cwnd = ssthresh"; Linux tcp_end_cwnd_reduction.
      if (this.w.ssthresh !== INFINITE_SSTHRESH) this.w.cwnd = this.w.ssthresh;
    } else {
      // RFC 6582 §3.2 step 3, option (1): "min (ssthresh, max(FlightSize, SMSS) + SMSS)", which
      // avoids a burst when little is outstanding.
      this.w.cwnd = Math.min(this.w.ssthresh, Math.max(e.flightSize, this.mss) + this.mss);
    }
    this.w.cwndCnt = 0;
    this.state = 'open';
    this.renoSacked = 0;
    this.headLost = false;
  }

  private prr(flight: FlightState, delivered: number, sndUnaAdvanced: boolean, newlyLost: number): void {
    if (delivered <= 0) return;
    this.prrDelivered += delivered;
    const pipe = this.pipe(flight);
    const sndcnt = prrSendCount({
      ssthresh: this.w.ssthresh,
      priorCwnd: this.priorCwnd,
      prrDelivered: this.prrDelivered,
      prrOut: this.prrOut,
      pipe,
      delivered,
      sndUnaAdvanced,
      newlyLost,
      mss: this.mss,
    });
    this.w.cwnd = Math.max(pipe + sndcnt, this.mss);
  }

  /** Linux tcp_is_cwnd_limited(): cwnd limited the sender in the last window, or (in slow
   *  start) cwnd is less than twice the largest flight, so slow start can still double it. */
  private cwndLimited(): boolean {
    if (this.isCwndLimited) return true;
    return this.inSlowStart && this.w.cwnd < 2 * this.maxFlight;
  }

  /** Linux tcp_cong_avoid(): slow start, then the algorithm's congestion avoidance. */
  private grow(delivered: number, now: number): void {
    if (delivered <= 0 || !this.cwndLimited()) return;
    let acked = delivered;
    if (this.inSlowStart) {
      if (this.hystart?.active === true && this.w.ssthresh === INFINITE_SSTHRESH) {
        this.w.cwnd += this.hystart.growth(acked, this.mss);
        return;
      }
      acked = tcpSlowStart(this.w, acked);
      if (acked <= 0) return;
    }
    this.algorithm.congAvoid(this.w, acked, now);
  }

  /** Bytes delivered by an ACK of new data; without SACK, Linux tcp_remove_reno_sacks(): the
   *  duplicate ACKs already counted their segments as delivered. */
  private deliveredOnAck(e: AckEvent): number {
    if (e.delivered !== undefined) return e.delivered;
    if (this.sack || e.acked <= 0) return Math.max(0, e.acked);
    const delivered = Math.max(e.acked - this.renoSacked, Math.min(e.acked, this.mss));
    this.renoSacked = Math.max(0, this.renoSacked - Math.max(0, e.acked - this.mss));
    return delivered;
  }

  /** Bytes delivered by a duplicate ACK; without SACK, Linux tcp_add_reno_sack(): one segment,
   *  but never more than the flight minus one hole (tcp_limit_reno_sacked). In 'loss', Linux
   *  counts them only for data sent after the timeout. */
  private deliveredOnDupAck(e: DupAckEvent): number {
    if (e.delivered !== undefined) return e.delivered;
    if (this.sack) return 0;
    if (this.state === 'loss' && !seqGt(e.sndNxt, this.recoverSeq!)) return 0;
    const prior = this.renoSacked;
    this.renoSacked = Math.min(this.renoSacked + this.mss, Math.max(0, e.flightSize - this.mss));
    return Math.max(0, this.renoSacked - prior);
  }

  /** After an RTO, ACKs first cover the retransmitted bytes (go-back-N from SND.UNA); beyond
   *  them they cover originals that were presumed lost. */
  private lossAccountingOnAck(acked: number): void {
    if (this.state !== 'loss') return;
    const eaten = Math.min(acked, this.rtxOutstanding);
    this.rtxOutstanding -= eaten;
    this.lostRemaining = Math.max(0, this.lostRemaining - (acked - eaten));
  }

  private mark(): Mark {
    return { cwnd: this.w.cwnd, ssthresh: this.w.ssthresh, caState: this.state };
  }

  private emit(now: number, cause: CongestionCause, before: Mark): void {
    if (this.w.cwnd === before.cwnd && this.w.ssthresh === before.ssthresh && this.state === before.caState) return;
    this.listener?.({
      now,
      cause,
      cwnd: this.w.cwnd,
      ssthresh: this.w.ssthresh,
      caState: this.state,
      previous: { cwnd: before.cwnd, ssthresh: before.ssthresh, caState: before.caState },
    });
  }
}

interface Mark {
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly caState: CaState;
}

/**
 * HyStart++ (RFC 9406): leave slow start when the round-trip time starts to grow, through a
 * "conservative slow start" (CSS) phase that grows four times slower for a few rounds, instead
 * of waiting for the loss that ends plain slow start by overshooting.
 *
 * Linux does not implement HyStart++: its CUBIC uses the older HyStart (ACK trains and delay
 * increase, see cubic.ts). tcplab offers HyStart++ as `slowStartExit: 'hystart++'` for any
 * algorithm; the default stays Linux's.
 *
 * Units: bytes for windows, ms for RTTs. A round ends when the ACK covers `windowEnd`, the SND.NXT
 * recorded when the round began (RFC 9406 §4.2).
 */

import { seqGe } from '../../wire/seq.js';

/** RFC 9406 §4.3, the recommended constants. RTTs in ms. */
export const HYSTART_PLUS_PLUS = Object.freeze({
  MIN_RTT_THRESH: 4,
  MAX_RTT_THRESH: 16,
  MIN_RTT_DIVISOR: 8,
  N_RTT_SAMPLE: 8,
  CSS_GROWTH_DIVISOR: 4,
  CSS_ROUNDS: 5,
  /** L, in SMSS per ACK, for a sender that does not pace (tcplab does not): "L = 8 if non-paced". */
  L_NON_PACED: 8,
});

const C = HYSTART_PLUS_PLUS;

export class HyStartPlusPlus {
  private windowEnd: number | undefined;
  private lastRoundMinRtt = Number.POSITIVE_INFINITY;
  private currentRoundMinRtt = Number.POSITIVE_INFINITY;
  private rttSampleCount = 0;
  private cssBaselineMinRtt = Number.POSITIVE_INFINITY;
  private cssRounds = 0;
  private finished = false;
  /** CSS grows by a quarter of the bytes delivered; the fractions accumulate here. */
  private cssCredit = 0;

  /** `limit`: L in SMSS (RFC 9406 §4.3: 8 without pacing, infinity with). */
  constructor(readonly limit: number = C.L_NON_PACED) {}

  /** Still running: the initial slow start has not ended. RFC 9406 §4.2: HyStart++ is for the
   *  initial slow start; later slow starts (after an RTO) use standard slow start. */
  get active(): boolean {
    return !this.finished;
  }

  /** In conservative slow start. */
  get inCss(): boolean {
    return this.cssBaselineMinRtt !== Number.POSITIVE_INFINITY;
  }

  /** Starts the first round (at the connection's establishment). */
  start(sndNxt: number): void {
    this.windowEnd = sndNxt;
  }

  /**
   * Round bookkeeping for one ACK in slow start, before its growth. Returns true when CSS has
   * lasted CSS_ROUNDS rounds: "enter congestion avoidance by setting the ssthresh to the current
   * cwnd" is then the caller's (RFC 9406 §4.2).
   */
  onAck(ackNo: number, sndNxt: number): boolean {
    if (this.finished) return false;
    if (this.windowEnd === undefined) {
      this.windowEnd = sndNxt;
      return false;
    }
    if (!seqGe(ackNo, this.windowEnd)) return false;
    // A new round: "lastRoundMinRTT = currentRoundMinRTT, currentRoundMinRTT = infinity,
    // rttSampleCount = 0", windowEnd = SND.NXT.
    this.lastRoundMinRtt = this.currentRoundMinRtt;
    this.currentRoundMinRtt = Number.POSITIVE_INFINITY;
    this.rttSampleCount = 0;
    this.windowEnd = sndNxt;
    if (this.inCss) {
      // The round that held the move into CSS counted as the first of the CSS_ROUNDS.
      if (this.cssRounds >= C.CSS_ROUNDS) {
        this.finished = true;
        return true;
      }
      this.cssRounds++;
    }
    return false;
  }

  /**
   * The slow-start growth for `acked` bytes delivered: "cwnd = cwnd + min(N, L*SMSS)", and in
   * CSS "cwnd = cwnd + (min(N, L*SMSS) / CSS_GROWTH_DIVISOR)" (RFC 9406 §4.2).
   */
  growth(acked: number, mss: number): number {
    const n = Math.min(acked, this.limit * mss);
    if (!this.inCss) return n;
    this.cssCredit += n / C.CSS_GROWTH_DIVISOR;
    const whole = Math.floor(this.cssCredit);
    this.cssCredit -= whole;
    return whole;
  }

  /** One RTT sample (ms) during slow start or CSS, after the ACK's growth (RFC 9406 §4.2). */
  onRttSample(rtt: number): void {
    if (this.finished || !Number.isFinite(rtt) || rtt < 0) return;
    this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, rtt);
    this.rttSampleCount++;
    if (this.rttSampleCount < C.N_RTT_SAMPLE) return;
    if (!this.inCss) {
      if (this.currentRoundMinRtt === Number.POSITIVE_INFINITY || this.lastRoundMinRtt === Number.POSITIVE_INFINITY) return;
      // RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH))
      const rttThresh = Math.max(C.MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / C.MIN_RTT_DIVISOR, C.MAX_RTT_THRESH));
      if (this.currentRoundMinRtt >= this.lastRoundMinRtt + rttThresh) {
        // "exit slow start and enter CSS"; the partial round counts toward CSS_ROUNDS.
        this.cssBaselineMinRtt = this.currentRoundMinRtt;
        this.cssRounds = 1;
        this.cssCredit = 0;
      }
    } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      // The RTT went back down: the exit was spurious, "resume slow start including HyStart++".
      this.cssBaselineMinRtt = Number.POSITIVE_INFINITY;
      this.cssRounds = 0;
    }
  }

  /** A loss (or the end of slow start by other means): HyStart++ is over for this connection. */
  finish(): void {
    this.finished = true;
    this.cssBaselineMinRtt = Number.POSITIVE_INFINITY;
  }

  snapshot(): { readonly inCss: boolean; readonly cssRounds: number; readonly lastRoundMinRtt: number; readonly currentRoundMinRtt: number } {
    return { inCss: this.inCss, cssRounds: this.cssRounds, lastRoundMinRtt: this.lastRoundMinRtt, currentRoundMinRtt: this.currentRoundMinRtt };
  }
}

/**
 * CUBIC (RFC 9438), structured as Linux's net/ipv4/tcp_cubic.c (bictcp_update,
 * cubictcp_recalc_ssthresh, cubictcp_cwnd_event, HyStart), computed in floating point where
 * Linux uses fixed point.
 *
 * The window follows W_cubic(t) = C·(t − K)³ + W_max (RFC 9438 §4.2 eq. 1), concave below W_max
 * and convex above it, with K = ∛((W_max − cwnd_epoch) / C) (eq. 2), t the time since the
 * congestion-avoidance epoch began. Each ACK moves cwnd toward the target W_cubic(t + RTT) by
 * growing one segment per `cnt` segments delivered, as Linux does; the Reno-friendly estimate
 * W_est (§4.3) takes over when it is larger. Units: W_max, K's window terms and W_est in
 * segments (SMSS), as in RFC 9438; cwnd itself in bytes; time in ms (seconds in the formula).
 *
 * Linux vs RFC 9438, and what tcplab does (Linux unless noted):
 * - C = 0.4 and β = 0.7 exactly (Linux: 410/1024 and 717/1024, fixed-point approximations).
 * - t + RTT uses the minimum RTT seen (Linux delay_min), not SRTT.
 * - The target is capped at 1.5 × cwnd per RTT (RFC 9438 §4.4/§4.5; Linux: cnt >= 2).
 * - Before any loss (W_max unknown) cwnd grows at least 5% per RTT (Linux: cnt <= 20; not in
 *   the RFC).
 * - W_est grows by α = 3(1 − β)/(1 + β) segments per window (§4.3); the RFC's switch to α = 1
 *   once W_est reaches the previous cwnd is not in Linux, nor here. Where W_est is ahead, Linux
 *   closes the gap over one RTT rather than jumping to W_est as the RFC says; so does tcplab.
 * - The window grows at most once per 1/32 s unless cwnd changed (Linux's HZ/32 guard).
 * - After an RTO everything is forgotten (W_max, delay_min: Linux bictcp_reset on TCP_CA_Loss);
 *   RFC 9438 §4.8 then starts the next epoch with K = 0 and W_max = cwnd, which is what an
 *   unknown W_max gives.
 * - Slow-start exit: Linux's HyStart (ACK trains and delay increase, cwnd >= 16 segments), on by
 *   default. Linux widens the ACK-train threshold by an allowance derived from pacing and GSO
 *   (hystart_ack_delay); tcplab has neither, so the allowance is 0.
 */

import { seqGt } from '../../wire/seq.js';
import { tcpCongAvoidAi, type AckedSample, type CongestionAlgorithm, type CongestionWindow } from './controller.js';

export interface CubicOptions {
  /** C, RFC 9438 §4.2 and §5.1: 0.4 (segments / s³). */
  readonly c?: number;
  /** β_cubic, RFC 9438 §4.6: 0.7. */
  readonly beta?: number;
  /** RFC 9438 §4.7 (Linux fast_convergence = 1): true. */
  readonly fastConvergence?: boolean;
  /** RFC 9438 §4.3, the Reno-friendly region (Linux tcp_friendliness = 1): true. */
  readonly renoFriendly?: boolean;
  /** Linux's HyStart (hystart = 1, hystart_detect = 3): true. */
  readonly hystart?: boolean;
  /** hystart_low_window, segments: 16. */
  readonly hystartLowWindow?: number;
  /** hystart_ack_delta_us, ms: 2. */
  readonly hystartAckDelta?: number;
}

/** RFC 9438 §4.2 eq. 2: K = ∛((W_max − cwnd_epoch) / C), seconds; 0 when cwnd_epoch ≥ W_max. */
export function cubicK(wMax: number, cwndEpoch: number, c = 0.4): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / c) : 0;
}

/** RFC 9438 §4.2 eq. 1: W_cubic(t) = C·(t − K)³ + W_max, segments, t in seconds. */
export function wCubic(t: number, k: number, wMax: number, c = 0.4): number {
  return c * (t - k) ** 3 + wMax;
}

/** RFC 9438 §4.3: α_cubic = 3(1 − β)/(1 + β), the Reno-friendly additive increase. */
export function renoFriendlyAlpha(beta = 0.7): number {
  return (3 * (1 - beta)) / (1 + beta);
}

/** Linux's HZ/32: the least time between two recomputations with an unchanged cwnd. */
const RECOMPUTE_INTERVAL = 1000 / 32;
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN = 4; // ms
const HYSTART_DELAY_MAX = 16; // ms

export class Cubic implements CongestionAlgorithm {
  readonly name = 'cubic' as const;
  readonly c: number;
  readonly beta: number;
  readonly fastConvergence: boolean;
  readonly renoFriendly: boolean;
  readonly hystart: boolean;
  private readonly hystartLowWindow: number;
  private readonly hystartAckDelta: number;

  // struct bictcp, Linux's field names in the comments.
  /** cnt: segments to deliver for one more segment of cwnd. */
  private cnt = 0;
  /** last_max_cwnd: W_max, segments; 0 when unknown. */
  private wLastMax = 0;
  /** last_cwnd, bytes, and last_time, ms: when cnt was last computed. */
  private lastCwnd = 0;
  private lastTime = 0;
  /** bic_origin_point: the plateau W_cubic tends to, segments. */
  private originPoint = 0;
  /** bic_K, seconds. */
  private k = 0;
  /** delay_min: the least RTT seen, ms. */
  private delayMin: number | undefined;
  /** epoch_start: when this congestion-avoidance epoch began, ms. */
  private epochStart: number | undefined;
  /** ack_cnt, bytes, and tcp_cwnd: W_est, segments. */
  private ackCnt = 0;
  private wEst = 0;
  // HyStart (struct bictcp).
  private found = false;
  private roundStart = 0;
  private lastAck = 0;
  private endSeq = 0;
  private currRtt = Number.POSITIVE_INFINITY;
  private sampleCnt = 0;

  constructor(options: CubicOptions = {}) {
    this.c = options.c ?? 0.4;
    this.beta = options.beta ?? 0.7;
    this.fastConvergence = options.fastConvergence ?? true;
    this.renoFriendly = options.renoFriendly ?? true;
    this.hystart = options.hystart ?? true;
    this.hystartLowWindow = options.hystartLowWindow ?? 16;
    this.hystartAckDelta = options.hystartAckDelta ?? 2;
    if (!(this.beta > 0 && this.beta < 1 && this.c > 0)) throw new RangeError('CUBIC needs 0 < beta < 1 and C > 0');
  }

  /** Linux cubictcp_init(): bictcp_reset and, with HyStart, a first round. */
  init(_w: CongestionWindow, now: number, sndNxt: number): void {
    this.reset();
    if (this.hystart) this.hystartReset(now, sndNxt);
  }

  /**
   * RFC 9438 §4.6 multiplicative decrease, ssthresh = cwnd × β_cubic (at least 2 segments), and
   * §4.7 fast convergence: when this loss comes before cwnd regained the previous W_max, the
   * flow is releasing bandwidth, so W_max = cwnd × (1 + β)/2 instead of cwnd. Linux
   * cubictcp_recalc_ssthresh() also ends the epoch here. RFC 9438 computes from FlightSize and
   * allows cwnd when cwnd is validated; Linux uses cwnd, as does tcplab.
   */
  ssthresh(w: CongestionWindow): number {
    this.epochStart = undefined;
    const cwnd = w.cwnd / w.mss;
    if (cwnd < this.wLastMax && this.fastConvergence) this.wLastMax = (cwnd * (1 + this.beta)) / 2;
    else this.wLastMax = cwnd;
    return Math.max(Math.floor(cwnd * this.beta + 1e-9), 2) * w.mss;
  }

  /** Linux cubictcp_cong_avoid() past slow start: bictcp_update, then one SMSS per cnt. */
  congAvoid(w: CongestionWindow, acked: number, now: number): void {
    this.update(w, acked, now);
    tcpCongAvoidAi(w, Math.max(this.cnt, 2) * w.mss, acked);
  }

  /** Linux cubictcp_acked(): delay_min and HyStart, from each ACK's RTT sample. */
  onAcked(w: CongestionWindow, s: AckedSample): void {
    if (s.rtt === undefined || !(s.rtt >= 0)) return;
    // "Discard delay samples right after fast recovery": the queue is still draining.
    if (this.epochStart !== undefined && s.now - this.epochStart < 1000) return;
    const delay = s.rtt === 0 ? 0.001 : s.rtt; // Linux: at least 1 µs
    if (this.delayMin === undefined || this.delayMin > delay) this.delayMin = delay;
    if (!this.found && w.cwnd < w.ssthresh && this.hystart) this.hystartUpdate(w, delay, s);
  }

  /** Linux cubictcp_state(TCP_CA_Loss): after an RTO start over, HyStart included. */
  onLoss(now: number, sndNxt: number): void {
    this.reset();
    if (this.hystart) this.hystartReset(now, sndNxt);
  }

  /**
   * Linux CA_EVENT_TX_START: the sender was idle (application-limited) with nothing in flight;
   * shift the epoch by the idle time so the curve resumes where it paused instead of jumping
   * ahead (RFC 9438 §5.8 discusses the same concern).
   */
  onTxStart(now: number, lastSendTime: number): void {
    if (this.epochStart === undefined) return;
    const idle = now - lastSendTime;
    if (idle > 0) {
      this.epochStart += idle;
      if (this.epochStart > now) this.epochStart = now;
    }
  }

  snapshot(): Readonly<Record<string, number | boolean | undefined>> {
    return {
      wMax: this.wLastMax,
      k: this.k,
      originPoint: this.originPoint,
      epochStart: this.epochStart,
      cnt: this.cnt,
      wEst: this.wEst,
      delayMin: this.delayMin,
      hystartFound: this.found,
    };
  }

  /** Linux bictcp_update(): recompute cnt from the cubic target and the Reno-friendly W_est. */
  private update(w: CongestionWindow, acked: number, now: number): void {
    const cwnd = w.cwnd / w.mss;
    this.ackCnt += acked;
    if (this.lastCwnd === w.cwnd && now - this.lastTime <= RECOMPUTE_INTERVAL) return;
    // At most one recomputation per clock tick once the epoch runs (a new epoch always computes).
    if (this.epochStart === undefined || now !== this.lastTime) {
      this.lastCwnd = w.cwnd;
      this.lastTime = now;
      if (this.epochStart === undefined) {
        // A new epoch (RFC 9438 §4.2): cwnd_epoch = cwnd, W_est = cwnd (§4.3).
        this.epochStart = now;
        this.ackCnt = acked;
        this.wEst = cwnd;
        if (this.wLastMax <= cwnd) {
          this.k = 0;
          this.originPoint = cwnd;
        } else {
          this.k = cubicK(this.wLastMax, cwnd, this.c);
          this.originPoint = this.wLastMax;
        }
      }
      // The target one RTT ahead: W_cubic(t + RTT).
      const t = (now - this.epochStart + (this.delayMin ?? 0)) / 1000;
      const target = wCubic(t, this.k, this.originPoint, this.c);
      this.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd; // else: barely grow
      // No loss yet, so no W_max: do not let the concave start be too timid (5% per RTT).
      if (this.wLastMax === 0 && this.cnt > 20) this.cnt = 20;
    }
    if (this.renoFriendly) {
      // W_est += α · (segments delivered) / cwnd (RFC 9438 §4.3): one segment per cwnd/α.
      const per = w.cwnd / renoFriendlyAlpha(this.beta);
      if (this.ackCnt > per) {
        const n = Math.ceil(this.ackCnt / per) - 1;
        this.ackCnt -= n * per;
        this.wEst += n;
      }
      if (this.wEst > cwnd) {
        // The Reno-friendly region: Reno would be ahead, so grow at least as fast as it.
        const maxCnt = Math.floor(cwnd / (this.wEst - cwnd));
        if (this.cnt > maxCnt) this.cnt = maxCnt;
      }
    }
    // At most one segment per two delivered: 1.5 × cwnd per RTT.
    this.cnt = Math.max(this.cnt, 2);
  }

  private reset(): void {
    this.cnt = 0;
    this.wLastMax = 0;
    this.lastCwnd = 0;
    this.lastTime = 0;
    this.originPoint = 0;
    this.k = 0;
    this.delayMin = undefined;
    this.epochStart = undefined;
    this.ackCnt = 0;
    this.wEst = 0;
    this.found = false;
  }

  /** Linux bictcp_hystart_reset(): a new round of HyStart's measurements. */
  private hystartReset(now: number, sndNxt: number): void {
    this.roundStart = now;
    this.lastAck = now;
    this.endSeq = sndNxt;
    this.currRtt = Number.POSITIVE_INFINITY;
    this.sampleCnt = 0;
  }

  /** Linux hystart_update(): end slow start (ssthresh = cwnd) at the first sign of a queue. */
  private hystartUpdate(w: CongestionWindow, delay: number, s: AckedSample): void {
    if (seqGt(s.sndUna, this.endSeq)) this.hystartReset(s.now, s.sndNxt);
    if (w.cwnd < this.hystartLowWindow * w.mss) return;
    const delayMin = this.delayMin ?? delay;
    // ACK train: ACKs arriving back to back for longer than half the minimum RTT mean the
    // bottleneck is already busy for that long.
    if (s.now - this.lastAck <= this.hystartAckDelta) {
      this.lastAck = s.now;
      if (s.now - this.roundStart > delayMin / 2) {
        this.found = true;
        w.ssthresh = w.cwnd;
      }
    }
    // Delay increase: the least RTT of this round exceeds the minimum by 1/8 (4 to 16 ms).
    if (this.currRtt > delay) this.currRtt = delay;
    if (this.sampleCnt < HYSTART_MIN_SAMPLES) {
      this.sampleCnt++;
    } else if (this.currRtt > delayMin + Math.min(Math.max(delayMin / 8, HYSTART_DELAY_MIN), HYSTART_DELAY_MAX)) {
      this.found = true;
      w.ssthresh = w.cwnd;
    }
  }
}

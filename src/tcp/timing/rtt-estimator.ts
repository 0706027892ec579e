/**
 * The retransmission timeout of one connection: RFC 6298 (SRTT, RTTVAR, RTO, Karn's algorithm,
 * exponential backoff), computed the way Linux computes it (tcp_rtt_estimator, tcp_set_rto,
 * tcp_bound_rto in net/ipv4/tcp_input.c), with RFC 6298's own formula as an option.
 *
 * Units: milliseconds throughout; the RTT samples come from the caller's `now`. Linux works in
 * microseconds and rounds the RTO up to whole jiffies; tcplab keeps exact (possibly fractional)
 * milliseconds, so a sub-millisecond path gives RTT samples of 0 with a millisecond clock and
 * the RTO still cannot fall below SRTT + rtoMin.
 *
 * Where Linux and RFC 6298 differ (variant 'linux', the default, follows Linux):
 * - RFC 6298 §2.3: RTO = SRTT + max(G, K·RTTVAR), K = 4; §2.4: at least 1 s.
 *   Linux: RTO = SRTT + rttvar, where rttvar is the largest 4·mdev seen in the last round trip,
 *   never below TCP_RTO_MIN (200 ms) and decaying by a quarter of the excess per round trip. In
 *   effect RTO ≈ SRTT + max(4·RTTVAR, 200 ms): the 200 ms floor sits on the variance term, not on
 *   the whole RTO, so a 100 ms path gets an RTO of at least 300 ms, not 200 ms.
 * - Linux updates mdev with a gain of 1/32 instead of 1/4 when the RTT falls (an Eifel-like
 *   damping, so a shrinking RTT does not inflate the RTO).
 * - The clock granularity G of RFC 6298 §4 disappears in Linux (the 200 ms floor dominates);
 *   variant 'rfc6298' uses `clockGranularity` (default 1 ms, tcplab's clock unit).
 */

import { seqGt } from '../../wire/seq.js';
import { TCP_MIN_RTT_WLEN, TCP_RTO_MAX, TCP_RTO_MIN, TCP_TIMEOUT_FALLBACK, TCP_TIMEOUT_INIT } from './constants.js';
import { WindowedMin } from './windowed-min.js';
import { pow2 } from '../pow2.js';

export type RtoFormula = 'linux' | 'rfc6298';

export interface RttEstimatorOptions {
  /** 'linux' (default): tcp_rtt_estimator + __tcp_set_rto. 'rfc6298': RFC 6298 §2 verbatim. */
  readonly variant?: RtoFormula;
  /** RTO before the first sample (RFC 6298 §2.1, Linux TCP_TIMEOUT_INIT): 1000 ms. */
  readonly rtoInitial?: number;
  /** TCP_RTO_MIN: 200 ms (RFC 6298 §2.4 would be 1000 ms). */
  readonly rtoMin?: number;
  /** TCP_RTO_MAX: 120 000 ms (RFC 6298 §2.5: at least 60 s). */
  readonly rtoMax?: number;
  /** RFC 6298 §4 clock granularity G, variant 'rfc6298' only: 1 ms. */
  readonly clockGranularity?: number;
  /** Window of the min-RTT filter (Linux tcp_min_rtt_wlen): 300 000 ms. */
  readonly minRttWindow?: number;
}

/** Where an RTT sample came from, for Karn's algorithm and for Linux's once-per-RTT variance
 *  decay. */
export interface RttSampleInfo {
  /** The caller's clock, ms (for the min-RTT window). */
  readonly now: number;
  /** SND.UNA after the ACK that produced the sample. */
  readonly sndUna: number;
  /** SND.NXT when the sample is taken: Linux decays the variance once SND.UNA passes the
   *  SND.NXT recorded at the previous decay, i.e. once per round trip (tp->rtt_seq). */
  readonly sndNxt: number;
  /** The acknowledged segment had been retransmitted (Karn: ambiguous). */
  readonly fromRetransmission?: boolean;
  /** The RTT was measured from the timestamp echoed in TSecr (RFC 7323 §4), which names the
   *  transmission that was acknowledged, so it is valid even for a retransmitted segment. */
  readonly fromTimestamp?: boolean;
}

/**
 * Karn's algorithm, RFC 6298 §3: "RTT samples MUST NOT be made using segments that were
 * retransmitted ... The only case when TCP can safely take RTT samples from retransmitted
 * segments is when the TCP timestamp option is employed". RFC 7323 §4 (RTTM) is that case.
 * Linux agrees (tcp_ack_update_rtt prefers the ACK's own timing, falls back to TSecr).
 */
export function karnAllowsSample(info: Pick<RttSampleInfo, 'fromRetransmission' | 'fromTimestamp'>): boolean {
  return info.fromRetransmission !== true || info.fromTimestamp === true;
}

export interface RttSnapshot {
  readonly rto: number;
  readonly srtt: number | undefined;
  readonly rttvar: number | undefined;
  readonly minRtt: number | undefined;
  readonly latestRtt: number | undefined;
  readonly samples: number;
  readonly backoffs: number;
}

export class RttEstimator {
  readonly variant: RtoFormula;
  readonly rtoInitial: number;
  readonly rtoMin: number;
  readonly rtoMax: number;
  readonly clockGranularity: number;

  private srttValue: number | undefined;
  /** RFC variant: RTTVAR. Linux variant: mdev_us, i.e. 4 × the mean deviation. */
  private mdev = 0;
  /** Linux: the largest mdev of the current round trip, never below rtoMin (mdev_max_us). */
  private mdevMax = 0;
  /** Linux: the variance term of the RTO (rttvar_us, also 4 × a deviation). */
  private rttvar4 = 0;
  /** Linux tp->rtt_seq: the round trip ends when SND.UNA passes it. */
  private rttSeq = 0;
  private rtoValue: number;
  /** The RTO to fall back to with no sample: rtoInitial, or 3 s after RFC 6298 §5.7. */
  private unmeasuredRto: number;
  private readonly minRttFilter: WindowedMin;
  private latest: number | undefined;
  private sampleCount = 0;
  private backoffCount = 0;

  constructor(options: RttEstimatorOptions = {}) {
    this.variant = options.variant ?? 'linux';
    this.rtoInitial = options.rtoInitial ?? TCP_TIMEOUT_INIT;
    this.rtoMin = options.rtoMin ?? TCP_RTO_MIN;
    this.rtoMax = options.rtoMax ?? TCP_RTO_MAX;
    this.clockGranularity = options.clockGranularity ?? 1;
    if (!(this.rtoMin > 0 && this.rtoMin <= this.rtoMax && this.rtoInitial > 0)) {
      throw new RangeError(`RTO bounds must satisfy 0 < rtoMin <= rtoMax and rtoInitial > 0`);
    }
    this.unmeasuredRto = Math.min(this.rtoInitial, this.rtoMax);
    this.rtoValue = this.unmeasuredRto;
    this.minRttFilter = new WindowedMin(options.minRttWindow ?? TCP_MIN_RTT_WLEN);
  }

  /** The RTO to arm now, backoff included (Linux icsk_rto), ms. */
  get rto(): number {
    return this.rtoValue;
  }

  /** SRTT, ms; undefined before the first valid sample. */
  get srtt(): number | undefined {
    return this.srttValue;
  }

  /**
   * RTTVAR in RFC 6298's sense (a mean deviation, ms). For the Linux variant this is the
   * variance term of the RTO divided by 4, which is what `ss -i` prints after the slash in
   * `rtt:srtt/rttvar` (rttvar_us >> 2), so it is never below rtoMin / 4.
   */
  get rttvar(): number | undefined {
    if (this.srttValue === undefined) return undefined;
    return this.variant === 'linux' ? this.rttvar4 / 4 : this.mdev;
  }

  /** The windowed minimum RTT (Linux tcp_min_rtt over tcp_min_rtt_wlen), ms. */
  get minRtt(): number | undefined {
    return this.minRttFilter.value;
  }

  /** The last valid sample, ms. */
  get latestRtt(): number | undefined {
    return this.latest;
  }

  /** Valid samples taken so far. */
  get samples(): number {
    return this.sampleCount;
  }

  /** Consecutive backoffs since the last valid sample or reset (Linux icsk_backoff). */
  get backoffs(): number {
    return this.backoffCount;
  }

  /**
   * Feeds one RTT measurement (ms). Returns false, changing nothing, when Karn's algorithm
   * forbids it (a retransmitted segment timed without timestamps) or when it is not a finite
   * non-negative number. A valid sample recomputes the RTO and clears the backoff: Linux
   * tcp_ack_update_rtt ("RFC6298: only reset backoff on valid RTT measurement"), RFC 6298 §5
   * ("may result in 'collapsing' RTO back down after it has been subject to exponential back
   * off").
   */
  sample(rtt: number, info: RttSampleInfo): boolean {
    if (!karnAllowsSample(info)) return false;
    if (!Number.isFinite(rtt) || rtt < 0) return false;
    this.latest = rtt;
    this.minRttFilter.update(info.now, rtt);
    if (this.variant === 'linux') this.linuxEstimator(rtt, info);
    else this.rfcEstimator(rtt);
    this.sampleCount++;
    this.backoffCount = 0;
    this.rtoValue = this.computedRto();
    return true;
  }

  /**
   * The retransmission timer expired: RFC 6298 (5.5) "The host MUST set RTO <- RTO * 2 ("back
   * off the timer")", and (2.5) the maximum; Linux: icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX).
   * Returns the new RTO. Not for SYN-SENT under tcp_syn_linear_timeouts, whose first waits do
   * not double: use synRetransmitTimeout() (retransmit-schedule.ts) there.
   */
  backoff(): number {
    this.backoffCount++;
    this.rtoValue = Math.min(this.rtoValue * 2, this.rtoMax);
    return this.rtoValue;
  }

  /**
   * Undoes one backoff (RFC 6069 §4, Linux tcp_ld_RTO_revert: "icsk_backoff--; icsk_rto =
   * __tcp_set_rto(tp) ... inet_csk_rto_backoff"): the computed RTO shifted by the backoffs
   * left, at most the maximum. Returns the new RTO.
   */
  revertBackoff(): number {
    if (this.backoffCount === 0) return this.rtoValue;
    this.backoffCount--;
    this.rtoValue = Math.min(this.computedRto() * pow2(this.backoffCount), this.rtoMax);
    return this.rtoValue;
  }

  /** Forgets the backoff without a new sample: the RTO goes back to the computed value. */
  resetBackoff(): void {
    this.backoffCount = 0;
    this.rtoValue = this.computedRto();
  }

  /**
   * Data transmission begins (the connection is established). RFC 6298 §5.7: "If the timer
   * expires awaiting the ACK of a SYN segment and the TCP implementation is using an RTO less
   * than 3 seconds, the RTO MUST be re-initialized to 3 seconds when data transmission begins".
   * Linux (tcp_init_metrics) applies it whenever the handshake left no RTT sample, which
   * without timestamps is exactly when the SYN or SYN-ACK was retransmitted (Karn). So does
   * tcplab.
   */
  onEstablished(): void {
    if (this.srttValue !== undefined) return;
    this.unmeasuredRto = Math.min(Math.max(TCP_TIMEOUT_FALLBACK, this.rtoMin), this.rtoMax);
    this.backoffCount = 0;
    this.rtoValue = this.unmeasuredRto;
  }

  snapshot(): RttSnapshot {
    return {
      rto: this.rto,
      srtt: this.srtt,
      rttvar: this.rttvar,
      minRtt: this.minRtt,
      latestRtt: this.latest,
      samples: this.sampleCount,
      backoffs: this.backoffCount,
    };
  }

  /** The RTO from SRTT and the variance, without backoff. */
  private computedRto(): number {
    const srtt = this.srttValue;
    if (srtt === undefined) return this.unmeasuredRto;
    if (this.variant === 'linux') {
      // __tcp_set_rto: srtt + rttvar; rttvar >= rtoMin already, so no lower clamp is needed
      // ("clamping at TCP_RTO_MIN is not required, current algo guarantees that rto is
      // higher"); tcp_bound_rto applies the maximum.
      return Math.min(srtt + this.rttvar4, this.rtoMax);
    }
    // RFC 6298 (2.2)/(2.3) RTO <- SRTT + max (G, K*RTTVAR), (2.4) the minimum, (2.5) the maximum.
    const rto = srtt + Math.max(this.clockGranularity, 4 * this.mdev);
    return Math.min(Math.max(rto, this.rtoMin), this.rtoMax);
  }

  /** RFC 6298 §2.2 and §2.3, alpha = 1/8, beta = 1/4. */
  private rfcEstimator(r: number): void {
    const srtt = this.srttValue;
    if (srtt === undefined) {
      // (2.2) SRTT <- R, RTTVAR <- R/2
      this.srttValue = r;
      this.mdev = r / 2;
      return;
    }
    // (2.3) RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|, with SRTT before its update;
    //       SRTT <- (1 - alpha) * SRTT + alpha * R'
    this.mdev = 0.75 * this.mdev + 0.25 * Math.abs(srtt - r);
    this.srttValue = 0.875 * srtt + 0.125 * r;
  }

  /** Linux tcp_rtt_estimator() (Jacobson, SIGCOMM '88), unscaled: mdev here is mdev_us. */
  private linuxEstimator(m: number, info: RttSampleInfo): void {
    const srtt = this.srttValue;
    if (srtt === undefined) {
      // "no previous measure": SRTT = R and 4·RTTVAR = 2R, as RFC 6298 (2.2), so RTO = 3R
      // unless the rtoMin floor on the variance term is larger.
      this.srttValue = m;
      this.mdev = 2 * m;
      this.rttvar4 = Math.max(this.mdev, this.rtoMin);
      this.mdevMax = this.rttvar4;
      this.rttSeq = info.sndNxt;
      return;
    }
    let err = m - srtt; // the error in the estimate, against SRTT before its update
    this.srttValue = srtt + err / 8; // SRTT = 7/8 SRTT + 1/8 R
    if (err < 0) {
      err = -err - this.mdev / 4;
      // The RTT fell: use the finer gain 1/32 (alpha·beta) so the RTO does not grow on a
      // sample that shows the path getting faster.
      if (err > 0) err /= 8;
    } else {
      err -= this.mdev / 4;
    }
    this.mdev += err; // mdev = 3/4 mdev + 1/4 |error|, in units of 4 × deviation
    if (this.mdev > this.mdevMax) {
      this.mdevMax = this.mdev;
      if (this.mdevMax > this.rttvar4) this.rttvar4 = this.mdevMax; // raise the RTO at once
    }
    if (seqGt(info.sndUna, this.rttSeq)) {
      // Once per round trip: let rttvar decay a quarter of the way down to this round's
      // largest mdev, and start a new round whose maximum begins at rtoMin.
      if (this.mdevMax < this.rttvar4) this.rttvar4 -= (this.rttvar4 - this.mdevMax) / 4;
      this.rttSeq = info.sndNxt;
      this.mdevMax = this.rtoMin;
    }
  }
}

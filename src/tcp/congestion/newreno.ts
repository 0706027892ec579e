/**
 * NewReno: RFC 5681's additive increase and multiplicative decrease (Linux's "reno" module,
 * tcp_reno_cong_avoid and tcp_reno_ssthresh), with RFC 6582's NewReno fast recovery supplied
 * by the shared controller (recovery.ts): the `recover` variable, partial ACKs that keep
 * recovery going and retransmit the next hole, the full ACK that ends it.
 *
 * Windows in bytes, growth in units of one SMSS (see controller.ts).
 */

import { tcpCongAvoidAi, type CongestionAlgorithm, type CongestionWindow } from './controller.js';
import { CongestionController, type CongestionOptions } from './recovery.js';

export class Reno implements CongestionAlgorithm {
  readonly name = 'newreno' as const;

  init(): void {}

  /**
   * The multiplicative decrease. RFC 5681 §3.1 eq. (4): ssthresh = max (FlightSize / 2, 2*SMSS).
   * Linux tcp_reno_ssthresh(): max(cwnd / 2, 2) packets, from cwnd rather than FlightSize (cwnd
   * validation keeps them close) and in whole segments. tcplab follows Linux.
   */
  ssthresh(w: CongestionWindow): number {
    return Math.max(Math.floor(w.cwnd / w.mss / 2), 2) * w.mss;
  }

  /**
   * Congestion avoidance, RFC 5681 §3.1: one SMSS per window of data acknowledged, counted in
   * bytes (RFC 3465 §2.1; Linux tcp_cong_avoid_ai(tp, snd_cwnd, acked)).
   */
  congAvoid(w: CongestionWindow, acked: number): void {
    tcpCongAvoidAi(w, w.cwnd, acked);
  }
}

/** A NewReno controller. Slow start has no delay-based exit unless `hystartPlusPlus` is set
 *  (Linux's reno has none). */
export function createNewReno(options: CongestionOptions): CongestionController {
  return new CongestionController(new Reno(), options);
}

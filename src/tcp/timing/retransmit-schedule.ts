/**
 * Linux's retransmission schedules as pure functions (net/ipv4/tcp_timer.c, inet_connection_sock.c):
 * how long each retransmission timer runs, and when the connection gives up. Times are ms,
 * measured from the first transmission unless a function says otherwise.
 *
 * The connection drives them like this:
 * - SYN-SENT: after sending the SYN, arm synRetransmitTimeout(0). When it fires, ask
 *   synTimedOut(retransmits, now - firstSynAt); if true fail connect() with ETIMEDOUT, else
 *   retransmit, count it, and arm synRetransmitTimeout(retransmits).
 * - A SYN-RECEIVED request (the listener's SYN queue): after the SYN-ACK, arm
 *   synAckRetransmitTimeout(0); on expiry, synAckTimedOut(numTimeout) drops the request
 *   silently, else retransmit and arm synAckRetransmitTimeout(numTimeout).
 * - Synchronized states: arm RttEstimator.rto; on expiry, dataTimedOut({...}) decides ETIMEDOUT
 *   before retransmitting; else retransmit and RttEstimator.backoff().
 *
 * Linux checks the give-up when the timer fires, before retransmitting, so "giving up at T"
 * below means: the timer that fires at T retransmits nothing and reports ETIMEDOUT.
 */

import { pow2 } from '../pow2.js';
import {
  TCP_ORPHAN_RETRIES,
  TCP_RETRIES2,
  TCP_RTO_MAX,
  TCP_RTO_MIN,
  TCP_SYNACK_RETRIES,
  TCP_SYN_LINEAR_TIMEOUTS,
  TCP_SYN_RETRIES,
  TCP_TIMEOUT_INIT,
} from './constants.js';

export interface SynSchedule {
  /** net.ipv4.tcp_syn_retries (or TCP_SYNCNT): 6. */
  readonly synRetries?: number;
  /** net.ipv4.tcp_syn_linear_timeouts, Linux 6.5+: 4. 0 is the classic schedule. */
  readonly linearTimeouts?: number;
  /** The SYN's first RTO (tcp_timeout_init): 1000 ms. */
  readonly rtoInitial?: number;
  /** TCP_RTO_MAX: 120 000 ms. */
  readonly rtoMax?: number;
  /** TCP_USER_TIMEOUT in ms; 0 (the default) uses Linux's model of the retries instead. */
  readonly userTimeout?: number;
}

export interface SynAckSchedule {
  /** net.ipv4.tcp_synack_retries: 5. */
  readonly synackRetries?: number;
  /** The request's first RTO (TCP_TIMEOUT_INIT): 1000 ms. */
  readonly rtoInitial?: number;
  readonly rtoMax?: number;
}

/** A whole schedule, from the first transmission at 0. */
export interface ScheduleTimes {
  /** When each transmission goes out: the original at 0, then every retransmission. */
  readonly sendTimes: readonly number[];
  /** When the timer fires with nothing left to try: ETIMEDOUT, or the request is dropped. */
  readonly giveUpAt: number;
}

function synParams(s: SynSchedule): Required<SynSchedule> {
  return {
    synRetries: s.synRetries ?? TCP_SYN_RETRIES,
    linearTimeouts: s.linearTimeouts ?? TCP_SYN_LINEAR_TIMEOUTS,
    rtoInitial: s.rtoInitial ?? TCP_TIMEOUT_INIT,
    rtoMax: s.rtoMax ?? TCP_RTO_MAX,
    userTimeout: s.userTimeout ?? 0,
  };
}

/**
 * Linux tcp_model_timeout(): how long `boundary` retransmissions take if the RTO starts at
 * `rtoBase` and doubles up to `rtoMax`, then stays there. (2 << boundary) − 1 sums boundary + 1
 * waits: the wait after the original transmission and after each of the `boundary`
 * retransmissions. `rtoMax / rtoBase` is an integer division, as in the kernel.
 *
 * tcp_retries2 = 15 with TCP_RTO_MIN: the doubling stops after ilog2(600) = 9 steps, so
 * (2^10 − 1) × 200 ms + (15 − 9) × 120 s = 204.6 s + 720 s = 924.6 s.
 */
export function tcpModelTimeout(boundary: number, rtoBase: number = TCP_RTO_MIN, rtoMax: number = TCP_RTO_MAX): number {
  const linearBackoffThresh = Math.floor(Math.log2(Math.floor(rtoMax / rtoBase)));
  if (boundary <= linearBackoffThresh) return (2 ** (boundary + 1) - 1) * rtoBase;
  return (2 ** (linearBackoffThresh + 1) - 1) * rtoBase + (boundary - linearBackoffThresh) * rtoMax;
}

/**
 * Linux retransmits_timed_out(): false before any retransmission; otherwise whether `elapsed`
 * (ms since tp->retrans_stamp) has reached `userTimeout`, or without one the modelled time of
 * `boundary` retransmissions from `rtoBase`.
 */
export function retransmitsTimedOut(p: {
  readonly retransmits: number;
  readonly elapsed: number;
  readonly boundary: number;
  readonly rtoBase?: number;
  readonly rtoMax?: number;
  readonly userTimeout?: number;
}): boolean {
  if (p.retransmits === 0) return false;
  const timeout = p.userTimeout ? p.userTimeout : tcpModelTimeout(p.boundary, p.rtoBase ?? TCP_RTO_MIN, p.rtoMax ?? TCP_RTO_MAX);
  return p.elapsed >= timeout;
}

/**
 * The SYN timer to arm after `retransmits` retransmissions (0: after the original SYN).
 * Linux (tcp_retransmit_timer, 6.5+): in SYN-SENT the RTO doubles only once more than
 * tcp_syn_linear_timeouts timeouts have happened; RFC 6298 (5.5) would double every time.
 * Defaults: 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64 s.
 */
export function synRetransmitTimeout(retransmits: number, schedule: SynSchedule = {}): number {
  const p = synParams(schedule);
  return Math.min(p.rtoInitial * 2 ** Math.max(0, retransmits - p.linearTimeouts), p.rtoMax);
}

/** The number of SYN retransmissions Linux allows: tcp_syn_retries + tcp_syn_linear_timeouts. */
export function synMaxRetransmits(schedule: SynSchedule = {}): number {
  const p = synParams(schedule);
  return p.synRetries + p.linearTimeouts;
}

/**
 * Linux tcp_write_timeout() in SYN-SENT, when the SYN timer fires: give up once
 * tcp_syn_retries + tcp_syn_linear_timeouts retransmissions went unanswered, or once
 * retransmits_timed_out(tcp_syn_retries, from tcp_timeout_init) says the modelled time has
 * passed since the first SYN (tp->retrans_stamp is set in tcp_connect). RFC 9293 §3.8.3 asks R2
 * for a SYN to cover at least 3 minutes; Linux gives about 2, and so does tcplab.
 */
export function synTimedOut(retransmits: number, elapsedSinceFirstSyn: number, schedule: SynSchedule = {}): boolean {
  const p = synParams(schedule);
  if (retransmits >= p.synRetries + p.linearTimeouts) return true;
  return retransmitsTimedOut({
    retransmits,
    elapsed: elapsedSinceFirstSyn,
    boundary: p.synRetries,
    rtoBase: p.rtoInitial,
    rtoMax: p.rtoMax,
    userTimeout: p.userTimeout,
  });
}

/** The whole SYN schedule with nothing answering: defaults give SYNs at 0, 1, 2, 3, 4, 5, 7, 11,
 *  19, 35, 67 s and ETIMEDOUT at 131 s; linearTimeouts 0 gives 0, 1, 3, 7, 15, 31, 63 and 127 s. */
export function synSchedule(schedule: SynSchedule = {}): ScheduleTimes {
  const sendTimes = [0];
  let at = synRetransmitTimeout(0, schedule);
  for (let retransmits = 0; !synTimedOut(retransmits, at, schedule); ) {
    sendTimes.push(at);
    retransmits++;
    at += synRetransmitTimeout(retransmits, schedule);
  }
  return { sendTimes, giveUpAt: at };
}

export function synSendTimes(schedule: SynSchedule = {}): number[] {
  return [...synSchedule(schedule).sendTimes];
}

export function synGiveUpTime(schedule: SynSchedule = {}): number {
  return synSchedule(schedule).giveUpAt;
}

/** The SYN-ACK timer after `numTimeout` retransmissions: Linux reqsk_timeout(), min(timeout <<
 *  num_timeout, TCP_RTO_MAX): 1, 2, 4, 8, 16, 32 s. No linear phase for SYN-ACKs. */
export function synAckRetransmitTimeout(numTimeout: number, schedule: SynAckSchedule = {}): number {
  const rtoInitial = schedule.rtoInitial ?? TCP_TIMEOUT_INIT;
  return Math.min(rtoInitial * 2 ** numTimeout, schedule.rtoMax ?? TCP_RTO_MAX);
}

/** Linux reqsk_timer_handler()/syn_ack_recalc() without TCP_DEFER_ACCEPT: the request expires
 *  when its timer fires after tcp_synack_retries retransmissions. Pass the effective retries
 *  from {@link synAckRetriesUnderPressure} when the SYN queue is crowded. */
export function synAckTimedOut(numTimeout: number, schedule: SynAckSchedule = {}): boolean {
  return numTimeout >= (schedule.synackRetries ?? TCP_SYNACK_RETRIES);
}

/** The whole SYN-ACK schedule: defaults give SYN-ACKs at 0, 1, 3, 7, 15, 31 s and the request
 *  dropped at 63 s. */
export function synAckSchedule(schedule: SynAckSchedule = {}): ScheduleTimes {
  const sendTimes = [0];
  let at = synAckRetransmitTimeout(0, schedule);
  for (let n = 0; !synAckTimedOut(n, schedule); ) {
    sendTimes.push(at);
    n++;
    at += synAckRetransmitTimeout(n, schedule);
  }
  return { sendTimes, giveUpAt: at };
}

export function synAckSendTimes(schedule: SynAckSchedule = {}): number[] {
  return [...synAckSchedule(schedule).sendTimes];
}

export function synAckGiveUpTime(schedule: SynAckSchedule = {}): number {
  return synAckSchedule(schedule).giveUpAt;
}

/**
 * Linux reqsk_timer_handler(): when more than half the SYN queue (at least 8 requests) is taken,
 * old requests (those whose SYN-ACK was already retransmitted) get fewer retries, down to 2, so
 * they make room for young ones: "we reserve half of room for young embrions; and abort old
 * ones without pity". `qlen`: requests in the queue; `young`: those never retransmitted;
 * `maxAckBacklog`: the listen backlog.
 */
export function synAckRetriesUnderPressure(p: {
  readonly synackRetries?: number;
  readonly qlen: number;
  readonly young: number;
  readonly maxAckBacklog: number;
}): number {
  let retries = p.synackRetries ?? TCP_SYNACK_RETRIES;
  if (p.qlen * 2 > Math.max(8, p.maxAckBacklog)) {
    let young = p.young * 2;
    while (retries > 2) {
      if (p.qlen < young) break;
      retries--;
      young *= 2;
    }
  }
  return retries;
}

/**
 * Linux tcp_write_timeout() for a synchronized connection, when the retransmission timer fires
 * and before retransmitting: ETIMEDOUT once the time since the first retransmission
 * (tp->retrans_stamp, "Save stamp of the first (attempted) retransmit") reaches
 * tcpModelTimeout(tcp_retries2, TCP_RTO_MIN), i.e. 924.6 s by default. The budget is a time,
 * not a count: the number of retransmissions that fit depends on the real RTO (16 with a 200 ms
 * RTO, fewer on slower paths). An orphaned connection (closed by the application) uses
 * {@link orphanRetries} as the boundary instead.
 */
export function dataTimedOut(p: {
  /** Retransmissions of this data so far (Linux icsk_retransmits; reset by an ACK of new data). */
  readonly retransmits: number;
  /** now − time of the first retransmission, ms. */
  readonly elapsedSinceFirstRetransmit: number;
  /** net.ipv4.tcp_retries2: 15. */
  readonly retries2?: number;
  readonly rtoMin?: number;
  readonly rtoMax?: number;
  /** TCP_USER_TIMEOUT, ms; 0 = none. */
  readonly userTimeout?: number;
}): boolean {
  return retransmitsTimedOut({
    retransmits: p.retransmits,
    elapsed: p.elapsedSinceFirstRetransmit,
    boundary: p.retries2 ?? TCP_RETRIES2,
    rtoBase: p.rtoMin ?? TCP_RTO_MIN,
    rtoMax: p.rtoMax ?? TCP_RTO_MAX,
    userTimeout: p.userTimeout ?? 0,
  });
}

/** The retransmission budget of an established connection: tcpModelTimeout(retries2, 200 ms),
 *  924 600 ms for tcp_retries2 = 15. */
export function dataRetransmitBudget(retries2: number = TCP_RETRIES2, rtoMin: number = TCP_RTO_MIN, rtoMax: number = TCP_RTO_MAX): number {
  return tcpModelTimeout(retries2, rtoMin, rtoMax);
}

/**
 * Linux tcp_orphan_retries(): the boundary for an orphaned socket (after close(), e.g. in
 * FIN-WAIT-1 or LAST-ACK). tcp_orphan_retries = 0 means 8 while the RTO is below TCP_RTO_MAX
 * (`alive`), so a peer that never ACKs our FIN is given up after tcpModelTimeout(8) = 102.2 s
 * from the first retransmission. With a soft error (an ICMP error was received) and an RTO at
 * its maximum, no retries at all.
 */
export function orphanRetries(p: { readonly tcpOrphanRetries?: number; readonly alive: boolean; readonly softError?: boolean }): number {
  let retries = p.tcpOrphanRetries ?? TCP_ORPHAN_RETRIES;
  if (p.softError === true && !p.alive) retries = 0;
  if (retries === 0 && p.alive) retries = 8;
  return retries;
}

/**
 * The RTO after `backoffs` doublings from `rto` (Linux inet_csk_rto_backoff()), capped at rtoMax:
 * the timer to arm for the n-th consecutive retransmission of the same data. Equal to what
 * RttEstimator.backoff() reaches step by step.
 */
export function backedOffRto(rto: number, backoffs: number, rtoMax: number = TCP_RTO_MAX): number {
  return Math.min(rto * pow2(backoffs), rtoMax);
}

/**
 * The zero-window probe timer (Linux tcp_probe0_when()): the RTO, at least TCP_RTO_MIN, doubled
 * per unanswered probe, at most rtoMax.
 */
export function probe0Timeout(rto: number, backoffs: number, rtoMin: number = TCP_RTO_MIN, rtoMax: number = TCP_RTO_MAX): number {
  return Math.min(Math.max(rto, rtoMin) * pow2(backoffs), rtoMax);
}

/**
 * The whole data schedule when nothing is ever acknowledged, with a fixed base RTO: sendTimes
 * are the original at 0 and each retransmission, giveUpAt the firing that reports ETIMEDOUT.
 * With rto = 200 ms and tcp_retries2 = 15: 16 retransmissions, the last at 924.6 s, and
 * ETIMEDOUT at 1044.6 s, one step after the 924.6 s budget (which starts at the first
 * retransmission, 200 ms in). Ignores tail loss probes (Linux also sends a TLP first when the
 * peer supports SACK).
 */
export function dataSchedule(p: { readonly rto: number; readonly retries2?: number; readonly rtoMin?: number; readonly rtoMax?: number; readonly userTimeout?: number }): ScheduleTimes {
  const rtoMax = p.rtoMax ?? TCP_RTO_MAX;
  const sendTimes = [0];
  let rto = Math.min(p.rto, rtoMax);
  let at = rto;
  let firstRetransmitAt: number | undefined;
  for (let retransmits = 0; ; retransmits++) {
    const elapsed = firstRetransmitAt === undefined ? 0 : at - firstRetransmitAt;
    if (dataTimedOut({ ...p, rtoMax, retransmits, elapsedSinceFirstRetransmit: elapsed })) break;
    sendTimes.push(at);
    firstRetransmitAt ??= at;
    rto = Math.min(rto * 2, rtoMax);
    at += rto;
  }
  return { sendTimes, giveUpAt: at };
}

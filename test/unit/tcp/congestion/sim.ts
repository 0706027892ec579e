/**
 * A small ACK-clocked bulk sender over a path with a fixed RTT and no bandwidth limit, driving a
 * congestion controller exactly as a connection should (see the calls marked CC): a test bed for
 * whole sequences (slow start, losses, fast recovery, RTOs). No SACK: the receiver ACKs every
 * segment cumulatively, so losses show up as duplicate ACKs. Segments are whole SMSS.
 */

import type { AckVerdict, CongestionControl } from '../../../../src/tcp/congestion/index.js';
import { RttEstimator } from '../../../../src/tcp/timing/index.js';

export interface SimOptions {
  readonly mss?: number;
  /** Round-trip time, ms. */
  readonly rtt?: number;
  /** Drop this transmission? `n` is 1 for the first transmission of `seq`. */
  readonly drop?: (seq: number, n: number, at: number) => boolean;
  /** Stop sending new data after this many bytes (default: unlimited). */
  readonly appLimit?: number;
  /** The receiver's window, bytes: never more than this in flight (default: unlimited). */
  readonly rwnd?: number;
}

type Event = { at: number; kind: 'arrive'; seq: number } | { at: number; kind: 'ack'; ackNo: number };

export class Sim {
  now = 0;
  readonly iss = 1000;
  readonly mss: number;
  readonly rtt: number;
  sndUna: number;
  sndNxt: number;
  readonly estimator = new RttEstimator();
  readonly verdicts: { at: number; verdict: AckVerdict }[] = [];
  timeouts = 0;
  retransmissions = 0;
  private events: Event[] = [];
  private rtoDeadline: number | undefined;
  private readonly sent = new Map<number, { at: number; n: number }>();
  private pendingHead = false;
  private rtxNext: number | undefined;
  private rtxHigh = 0;
  private rcvNxt: number;
  private readonly ooo = new Set<number>();
  private appLimit: number;

  constructor(
    readonly cc: CongestionControl,
    readonly options: SimOptions = {},
  ) {
    this.mss = options.mss ?? cc.mss;
    this.rtt = options.rtt ?? 100;
    this.sndUna = this.sndNxt = this.rcvNxt = this.iss;
    this.appLimit = options.appLimit ?? Number.POSITIVE_INFINITY;
    cc.onEstablished({ now: 0, sndNxt: this.iss }); // CC
  }

  get flightSize(): number {
    return this.sndNxt - this.sndUna;
  }

  /** Allow `bytes` more of application data (after an idle period, say). */
  write(bytes: number): void {
    this.appLimit = this.sndNxt - this.iss + bytes;
    // CC: before sending new data, cwnd may have to restart after idle (RFC 5681 §4.1).
    this.cc.restartAfterIdle({ now: this.now, rto: this.estimator.rto, flightSize: this.flightSize });
    this.pump();
  }

  /** Runs until `until` ms, until nothing is left to do, or for at most `maxSteps` events. */
  run(until: number, onStep?: () => void, maxSteps = Number.POSITIVE_INFINITY): void {
    this.pump();
    for (let step = 0; step < maxSteps; step++) {
      const next = this.events[0];
      const rto = this.rtoDeadline;
      const at = Math.min(next?.at ?? Number.POSITIVE_INFINITY, rto ?? Number.POSITIVE_INFINITY);
      if (at === Number.POSITIVE_INFINITY || at > until) break;
      this.now = at;
      if (rto !== undefined && rto <= (next?.at ?? Number.POSITIVE_INFINITY)) this.onTimeout();
      else {
        this.events.shift();
        if (next!.kind === 'arrive') this.arrive(next!.seq);
        else this.onAckSegment(next!.ackNo);
      }
      onStep?.();
    }
    this.now = Math.max(this.now, until === Number.POSITIVE_INFINITY ? this.now : until);
  }

  private schedule(e: Event): void {
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at > e.at) i--;
    this.events.splice(i, 0, e);
  }

  private arrive(seq: number): void {
    if (seq === this.rcvNxt) {
      this.rcvNxt += this.mss;
      while (this.ooo.delete(this.rcvNxt)) this.rcvNxt += this.mss;
    } else if (seq > this.rcvNxt) {
      this.ooo.add(seq);
    }
    this.schedule({ at: this.now + this.rtt / 2, kind: 'ack', ackNo: this.rcvNxt });
  }

  private onAckSegment(ackNo: number): void {
    if (ackNo > this.sndUna) {
      const acked = ackNo - this.sndUna;
      const last = this.sent.get(ackNo - this.mss);
      let rtt: number | undefined;
      if (last !== undefined && last.n === 1) {
        rtt = this.now - last.at;
        this.estimator.sample(rtt, { now: this.now, sndUna: ackNo, sndNxt: this.sndNxt });
      }
      this.sndUna = ackNo;
      if (this.rtxNext !== undefined && this.rtxNext < ackNo) this.rtxNext = ackNo;
      if (this.rtxNext !== undefined && this.rtxNext >= this.rtxHigh) this.rtxNext = undefined;
      // CC: every ACK of new data.
      const verdict = this.cc.onAck({ now: this.now, ackNo, sndNxt: this.sndNxt, acked, flightSize: this.flightSize, rtt });
      this.verdicts.push({ at: this.now, verdict });
      if (verdict === 'fast-retransmit' || verdict === 'partial-ack') this.pendingHead = true;
      // RFC 6298 (5.2)/(5.3): stop or restart the timer.
      this.rtoDeadline = this.flightSize > 0 ? this.now + this.estimator.rto : undefined;
    } else if (ackNo === this.sndUna && this.flightSize > 0) {
      // CC: a duplicate ACK.
      const verdict = this.cc.onDupAck({ now: this.now, ackNo, sndNxt: this.sndNxt, flightSize: this.flightSize });
      this.verdicts.push({ at: this.now, verdict });
      if (verdict === 'fast-retransmit') this.pendingHead = true;
    }
    this.pump();
  }

  private onTimeout(): void {
    this.timeouts++;
    // CC: before retransmitting.
    this.cc.onRetransmissionTimeout({ now: this.now, sndUna: this.sndUna, sndNxt: this.sndNxt, flightSize: this.flightSize });
    this.estimator.backoff();
    this.rtxNext = this.sndUna; // go-back-N over everything outstanding (Linux marks it all lost)
    this.rtxHigh = this.sndNxt;
    this.pendingHead = false;
    this.rtoDeadline = this.now + this.estimator.rto;
    this.pump();
  }

  private pump(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const quota = this.cc.sendQuota({ flightSize: this.flightSize });
      if (this.pendingHead && this.flightSize > 0) {
        // RFC 5681 §3.2: the fast retransmit goes out at once; within PRR the quota allows it.
        if (quota <= 0 && this.cc.caState !== 'recovery') break;
        this.pendingHead = false;
        this.transmit(this.sndUna, true);
        continue;
      }
      if (quota <= 0) break;
      if (this.rtxNext !== undefined) {
        const seq = this.rtxNext;
        this.rtxNext += this.mss;
        if (this.rtxNext >= this.rtxHigh) this.rtxNext = undefined;
        this.transmit(seq, true);
        continue;
      }
      if (this.sndNxt - this.iss >= this.appLimit) break;
      if (this.flightSize + this.mss > (this.options.rwnd ?? Number.POSITIVE_INFINITY)) break;
      this.transmit(this.sndNxt, false);
    }
  }

  private transmit(seq: number, retransmission: boolean): void {
    const n = (this.sent.get(seq)?.n ?? 0) + 1;
    this.sent.set(seq, { at: this.now, n });
    if (retransmission) this.retransmissions++;
    if (!retransmission) this.sndNxt = seq + this.mss;
    // CC: every transmission, new or not.
    this.cc.onDataSent({ now: this.now, bytes: this.mss, retransmission, sndUna: this.sndUna, sndNxt: this.sndNxt, flightSize: this.flightSize });
    if (this.options.drop?.(seq, n, this.now) !== true) this.schedule({ at: this.now + this.rtt / 2, kind: 'arrive', seq });
    this.rtoDeadline ??= this.now + this.estimator.rto;
  }
}

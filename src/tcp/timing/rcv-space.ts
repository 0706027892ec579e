/**
 * Receive-buffer auto-tuning, Linux's "Dynamic Right-Sizing" (net/ipv4/tcp_input.c, 6.18): the
 * receiver estimates the round-trip time on its own (rcv_rtt_est), counts what the application
 * read in each round trip (rcvq_space), and when that grows, grows the buffer to twice as much
 * and more, so the sender is never held back by a window the application would have emptied.
 *
 * This class keeps the two estimates and computes; the connection owns the buffer and the
 * window clamp it proposes (tcp_rcvbuf_grow's last step). Times come in as the caller's `now`
 * (milliseconds); like Linux, the estimate is kept in microseconds, scaled by 8.
 */

import { seqAdd, seqDiff, seqLt } from '../../wire/seq.js';

/** tcp_rtt_tsopt_us: TSval − TSecr below this many ms (INT_MAX / 1000) is a usable sample. */
const MAX_TS_DELTA = Math.floor(0x7fffffff / 1000);

export class RcvSpace {
  /** rcv_rtt_est.rtt_us: the receiver's RTT estimate in µs, × 8 as Linux keeps it; 0: none. */
  private rttUs8 = 0;
  /** rcv_rtt_est.seq / .time: the window being timed (RCV.NXT + RCV.WND when it started). */
  private rttSeq = 0;
  private rttTime = Number.NaN;
  /** tp->rcv_rtt_last_tsecr: a TSecr gives one sample at most. */
  private lastTsecr = 0;
  /** rcvq_space.space: the most the application read in one round trip (bytes). */
  private spaceBytes = 0;
  /** rcvq_space.seq / .time: copied_seq (the first unread byte) when this round trip began. */
  private seq = 0;
  private time = Number.NaN;

  /** The receiver's RTT in ms (ss -i rcv_rtt), undefined before the first sample. */
  get rtt(): number | undefined {
    return this.rttUs8 === 0 ? undefined : Math.floor(this.rttUs8 / 8) / 1000;
  }

  /** rcvq_space.space (ss -i rcv_space). */
  get space(): number {
    return this.spaceBytes;
  }

  /**
   * tcp_init_buffer_space, at establishment: the first round trip starts at `copiedSeq`, and the
   * application is assumed to read `space` (min(rcv_ssthresh, rcv_wnd, TCP_INIT_CWND × advmss)).
   */
  start(copiedSeq: number, space: number, now: number): void {
    this.seq = copiedSeq >>> 0;
    this.time = now;
    this.spaceBytes = space;
  }

  /**
   * tcp_rcv_rtt_measure, for in-order data without help from timestamps (Linux calls it for
   * every in-order segment, timestamps or not): the time it takes to receive one window is a
   * round trip, when the sender is window-limited. Taken only when it lowers the estimate.
   * `rcvNxt` is after the segment, `rcvWnd` the window last advertised (tp->rcv_wnd).
   */
  measure(rcvNxt: number, rcvWnd: number, now: number): void {
    if (!Number.isNaN(this.rttTime)) {
      if (seqLt(rcvNxt, this.rttSeq)) return;
      this.update(Math.max(1, Math.floor((now - this.rttTime) * 1000)), true, true);
    }
    this.rttSeq = seqAdd(rcvNxt, rcvWnd);
    this.rttTime = now;
  }

  /**
   * tcp_rcv_rtt_measure_ts, for each segment in ESTABLISHED: TSval now − the TSecr of a segment
   * carrying at least `rcvMss` bytes (the peer sent it right after our segment with that TSval
   * arrived). Each TSecr counts once; a difference of 0 (a sub-millisecond path with Linux's
   * millisecond timestamps) is no sample. `queueEmpty`: nothing is waiting for the
   * application, else only a lower sample counts (the peer may have waited for our window).
   */
  measureTs(tsEcr: number, tsNow: number, segLen: number, rcvMss: number, queueEmpty: boolean): void {
    if (tsEcr === this.lastTsecr) return;
    this.lastTsecr = tsEcr;
    if (segLen < rcvMss) return;
    const delta = seqDiff(tsNow, tsEcr);
    if (delta > 0 && delta < MAX_TS_DELTA) this.update(delta * 1000, false, queueEmpty);
  }

  /**
   * tcp_rcv_space_adjust, after the application read: once a round trip (rcv_rtt) has passed
   * since the last measure, the bytes it consumed in that time, less what still waits unread.
   * Returns that count when it exceeds rcvq_space.space (the buffer should grow: the caller
   * passes it to {@link grow}), undefined otherwise.
   */
  adjust(copiedSeq: number, unread: number, now: number): number | undefined {
    if (this.rttUs8 === 0 || Number.isNaN(this.time)) return undefined;
    if (Math.floor((now - this.time) * 1000) < Math.floor(this.rttUs8 / 8)) return undefined;
    const copied = seqDiff(copiedSeq >>> 0, this.seq) - unread;
    this.seq = copiedSeq >>> 0;
    this.time = now;
    return copied > this.spaceBytes ? copied : undefined;
  }

  /**
   * tcp_rcvbuf_grow: rcvq_space.space becomes `newval`; with auto-tuning on (`enabled`:
   * tcp_moderate_rcvbuf and no SO_RCVBUF), the buffer the sender needs: twice `newval` ("DRS is
   * always one RTT late"), plus twice the relative growth since the last value ("slow start:
   * allow the sender to double its rate"), plus the out-of-order data held, at most `cap`
   * (tcp_rmem[2]). Returns it (the caller grows sk_rcvbuf and the window clamp to it if larger),
   * or 0 when auto-tuning is off.
   *
   * Linux converts the window to memory (tcp_space_from_win, by the len/truesize ratio of the
   * skbs it received); tcplab's buffer holds the bytes alone, a ratio of one.
   */
  grow(newval: number, outOfOrderExtent: number, cap: number, enabled: boolean): number {
    const oldval = this.spaceBytes;
    this.spaceBytes = newval;
    if (!enabled) return 0;
    let rcvwin = 2 * newval;
    if (oldval > 0) rcvwin += 2 * Math.floor((rcvwin * (newval - oldval)) / oldval);
    rcvwin += outOfOrderExtent;
    return Math.min(rcvwin, cap);
  }

  /**
   * tcp_rcv_rtt_update. The first sample, or a lower one, is taken as it is; a higher one is
   * ignored when it comes from the window measure (`winDep`: that one seeks the minimum) or
   * when data waits in the queue, and otherwise moves the estimate by 1/8.
   */
  private update(sampleUs: number, winDep: boolean, queueEmpty: boolean): void {
    const old = this.rttUs8;
    const m = sampleUs * 8;
    if (old === 0 || m < old) {
      this.rttUs8 = m;
      return;
    }
    if (winDep || !queueEmpty) return;
    this.rttUs8 = old - Math.floor(old / 8) + sampleUs;
  }
}

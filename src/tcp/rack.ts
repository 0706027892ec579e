/**
 * RACK (RFC 8985 §6, Linux tcp_recovery.c): time-based loss detection for a SACK connection.
 *
 * RFC 6675's IsLost needs DupThresh segments SACKed above a hole. With a small window there
 * are not that many, and a lost retransmission is never noticed at all: both end in a
 * retransmission timeout. RACK instead remembers when each segment was (re)sent, and calls a
 * segment lost once a segment sent after it was delivered and more than an RTT plus a
 * reordering window has passed since it left: "a packet is lost if some packet sent
 * sufficiently later has been delivered" (RFC 8985 §2).
 *
 * This module keeps the transmission log (one record per segment sent: its sequence range, when
 * it last left, whether it was ever retransmitted), RACK's state (RACK.xmit_ts, RACK.end_seq,
 * RACK.rtt), reordering detection (Linux tcp_check_sack_reordering: tp->reordering and
 * reord_seen) and the reordering window with its D-SACK adaptation (RFC 8985 §6.2 step 4, Linux
 * tcp_rack_reo_wnd, tcp_rack_update_reo_wnd). The connection feeds it what it sends and what the
 * peer delivered, asks it which holes of the SACK scoreboard are lost, and arms the reordering
 * timer it returns.
 *
 * Sequence numbers are absolute, compared as offsets from SND.UNA (every record lies in
 * [SND.UNA, SND.MAX)). Times are the connection's milliseconds.
 */

import { seqDiff, seqGt, seqLt } from '../wire/seq.js';
import { TCP_MIN_RTT_WLEN } from './timing/constants.js';
import { WindowedMin } from './timing/windowed-min.js';

/** Linux net.ipv4.tcp_max_reordering. */
export const TCP_MAX_REORDERING = 300;
/** Linux TCP_RACK_RECOVERY_THRESH: recoveries a widened reordering window persists for. */
const RACK_RECOVERY_THRESH = 16;
/** Linux TCP_TIMEOUT_MIN (2 jiffies at HZ=1000): the reordering timer's slack. */
const TIMEOUT_MIN = 2;
/** Records kept at most; beyond, the newest original segments are merged (later time kept,
 *  which only delays their loss detection). */
const MAX_RECORDS = 32_768;

/** A range of sequence space: [left, right). */
export interface SeqRange {
  readonly left: number;
  readonly right: number;
}

/** What the reordering-window rule needs from the connection. */
export interface ReoWndInput {
  /** In fast recovery (or loss recovery) now. */
  readonly inRecovery: boolean;
  /** Segments SACKed (Linux sacked_out). */
  readonly sackedSegments: number;
  readonly minRtt: number | undefined;
  readonly srtt: number | undefined;
}

export interface LossScan {
  /** Ranges now known lost, in sequence order. */
  readonly lost: SeqRange[];
  /** When to look again (the reordering timer), or undefined. */
  readonly timerAt: number | undefined;
}

export class Rack {
  // The transmission log, sorted by sequence number: parallel arrays from `head`.
  private starts: number[] = [];
  private ends: number[] = [];
  private xmits: number[] = [];
  /** When the record last left, in send order: time alone cannot order a retransmission sent
   *  in the same millisecond as the originals, RFC 8985's end-sequence tie-break even less. */
  private orders: number[] = [];
  private retransmitted: boolean[] = [];
  private head = 0;
  private sent = 0;

  /** RACK.xmit_ts of the most recently sent segment delivered so far, and its send order
   *  (standing in for RACK.end_seq in "sent after"). */
  private xmitTs: number | undefined;
  private xmitOrder = -1;
  /** RACK.rtt: the RTT of that segment. */
  private rtt = 0;
  /** Something was delivered since the last scan (Linux rack.advanced). */
  private advanced = false;
  /** min_rtt from RACK's own samples (Linux tcp_min_rtt, microseconds there): timestamps
   *  measure whole milliseconds only, and a path under a millisecond would get a zero window. */
  private readonly minRttFilter = new WindowedMin(TCP_MIN_RTT_WLEN);

  /** Linux tp->reordering: the reordering degree seen, in segments (DupThresh at least). */
  reordering: number;
  /** Linux tp->reord_seen: reordering was observed on this connection. */
  reordSeen = 0;
  private reoWndSteps = 1;
  private reoWndPersist = 0;
  private dsackSeen = false;
  /** Bytes delivered when the window was last widened (Linux rack.last_delivered). */
  private lastWidenedAt = 0;
  private delivered = 0;

  /** `staticReoWnd`: tcp_recovery's 0x2 bit, D-SACKs never widen the reordering window. */
  constructor(
    dupThresh: number,
    private readonly staticReoWnd = false,
  ) {
    this.reordering = dupThresh;
  }

  /** Records in the log. */
  get size(): number {
    return this.starts.length - this.head;
  }

  // ------------------------------------------------------------------------------------------
  // What was sent

  /** A segment [start, end) left at `now` (a retransmission when it lies below the top of the
   *  log). */
  onSend(start: number, end: number, now: number): void {
    if (!seqLt(start, end)) return;
    const order = this.sent++;
    const n = this.starts.length;
    const top = n === this.head ? undefined : this.ends[n - 1]!;
    if (top === undefined || !seqLt(start, top)) {
      this.append(start, end, now, order);
      return;
    }
    // Sent again (a retransmission, or going back after a timeout): split records at its edges
    // and stamp every record inside it; what lies beyond the log is new.
    this.splitAt(start);
    this.splitAt(end);
    const base = this.baseSeq();
    for (let i = this.indexOf(start); i < this.starts.length; i++) {
      if (seqDiff(this.starts[i]!, base) >= seqDiff(end, base)) break;
      this.xmits[i] = now;
      this.orders[i] = order;
      this.retransmitted[i] = true;
    }
    if (seqGt(end, top)) this.append(top, end, now, order);
  }

  private append(start: number, end: number, now: number, order: number): void {
    const n = this.starts.length;
    if (this.size >= MAX_RECORDS && !this.retransmitted[n - 1] && this.ends[n - 1] === start) {
      this.ends[n - 1] = end;
      this.xmits[n - 1] = now;
      this.orders[n - 1] = order;
      return;
    }
    this.starts.push(start);
    this.ends.push(end);
    this.xmits.push(now);
    this.orders.push(order);
    this.retransmitted.push(false);
  }

  /** SND.UNA moved to `una`: drop what is acknowledged. */
  trim(una: number): void {
    while (this.head < this.starts.length && !seqGt(this.ends[this.head]!, una)) this.head++;
    if (this.head < this.starts.length && seqLt(this.starts[this.head]!, una)) this.starts[this.head] = una;
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.ends = this.ends.slice(this.head);
      this.xmits = this.xmits.slice(this.head);
      this.orders = this.orders.slice(this.head);
      this.retransmitted = this.retransmitted.slice(this.head);
      this.head = 0;
    }
  }

  /** Forget every record (the connection ended or its send queue was dropped). */
  clear(): void {
    this.starts = [];
    this.ends = [];
    this.xmits = [];
    this.orders = [];
    this.retransmitted = [];
    this.head = 0;
  }

  // ------------------------------------------------------------------------------------------
  // What was delivered

  /**
   * The peer delivered `ranges` (newly cumulatively ACKed or newly SACKed, never counted
   * before): RFC 8985 §6.2 steps 2-3 (Linux tcp_rack_advance) for each record inside, and
   * reordering detection (Linux tcp_check_sack_reordering) for originals delivered below
   * `priorFack`, the highest SACKed sequence number before this ACK. Returns the reordering
   * degree seen (segments), 0 if none.
   */
  onDelivered(ranges: readonly SeqRange[], now: number, priorFack: number, mss: number): number {
    let reordered = 0;
    const minRtt = this.minRtt;
    const base = this.baseSeq();
    for (const r of ranges) {
      this.delivered += Math.max(0, seqDiff(r.right, r.left));
      for (let i = this.indexOf(r.left); i < this.starts.length; i++) {
        const start = this.starts[i]!;
        const end = this.ends[i]!;
        if (seqDiff(start, base) >= seqDiff(r.right, base)) break;
        if (seqGt(end, r.right)) break; // only records wholly delivered
        const xmit = this.xmits[i]!;
        const order = this.orders[i]!;
        const rtx = this.retransmitted[i]!;
        const rtt = now - xmit;
        // Linux: "If the sacked packet was retransmitted, it's ambiguous whether the
        // retransmission or the original was sacked": an RTT below min_rtt means the original.
        if (!rtx) this.minRttFilter.update(now, rtt);
        if (!(rtx && minRtt !== undefined && rtt < minRtt)) {
          this.advanced = true;
          this.rtt = rtt;
          if (order > this.xmitOrder) {
            this.xmitTs = xmit;
            this.xmitOrder = order;
          }
        }
        if (!rtx && seqLt(start, priorFack)) reordered = Math.max(reordered, Math.ceil(seqDiff(priorFack, start) / mss));
      }
    }
    if (reordered > 0) {
      this.reordSeen++;
      if (reordered > this.reordering) this.reordering = Math.min(reordered, TCP_MAX_REORDERING);
    }
    return reordered;
  }

  /** A D-SACK arrived (RFC 2883): a retransmission was spurious, perhaps reordering. */
  onDsack(): void {
    this.dsackSeen = true;
  }

  /**
   * Linux tcp_rack_update_reo_wnd, once per ACK: a D-SACK widens the reordering window by one
   * step of min_rtt/4 (at most once per round trip, `flightSize` bytes delivered), for the next
   * 16 recoveries; then it returns to one step.
   */
  updateReoWnd(flightSize: number): void {
    if (this.staticReoWnd) return;
    if (this.dsackSeen && this.delivered - this.lastWidenedAt < flightSize) this.dsackSeen = false;
    if (this.dsackSeen) {
      this.reoWndSteps = Math.min(0xff, this.reoWndSteps + 1);
      this.dsackSeen = false;
      this.lastWidenedAt = this.delivered;
      this.reoWndPersist = RACK_RECOVERY_THRESH;
    } else if (this.reoWndPersist === 0) {
      this.reoWndSteps = 1;
    }
  }

  /** A recovery ended: the widened window counts it (Linux reo_wnd_persist--). */
  onRecoveryEnd(): void {
    if (this.reoWndPersist > 0) this.reoWndPersist--;
  }

  /**
   * A retransmission timeout in the open or disorder state with DupThresh segments SACKed: the
   * reordering degree was overestimated (Linux tcp_enter_loss), back to `dupThresh`.
   */
  onTimeoutInDisorder(dupThresh: number): void {
    this.reordering = Math.min(this.reordering, dupThresh);
  }

  /**
   * RFC 8985 §6.2 step 4 (Linux tcp_rack_reo_wnd): no reordering seen, in recovery or with
   * DupThresh segments SACKed: 0, as aggressive as RFC 6675; otherwise min_rtt/4 per step,
   * at most SRTT.
   */
  reoWnd(i: ReoWndInput): number {
    if (this.reordSeen === 0 && (i.inRecovery || i.sackedSegments >= this.reordering)) return 0;
    const quarter = (this.minRtt ?? i.minRtt ?? 0) / 4;
    return Math.min(quarter * this.reoWndSteps, i.srtt ?? Number.POSITIVE_INFINITY);
  }

  /** The smallest RTT RACK measured in the last five minutes. */
  get minRtt(): number | undefined {
    return this.minRttFilter.value;
  }

  // ------------------------------------------------------------------------------------------
  // Loss detection

  /**
   * RFC 8985 §6.2 step 5 (Linux tcp_rack_detect_loss) over the holes the caller gives (the
   * unSACKed, unACKed ranges not already marked lost): every record there sent before RACK's
   * most recently delivered segment is lost once RACK.rtt + reo_wnd has passed since it left;
   * the others set the reordering timer. `force` scans even when nothing new was delivered
   * (the timer fired). Undefined when there was nothing to scan for.
   */
  detectLoss(holes: readonly SeqRange[], now: number, reoWnd: number, force = false): LossScan | undefined {
    if (this.xmitTs === undefined || (!this.advanced && !force)) return undefined;
    this.advanced = false;
    const lost: SeqRange[] = [];
    let wait = 0;
    const base = this.baseSeq();
    for (const h of holes) {
      for (let i = this.indexOf(h.left); i < this.starts.length; i++) {
        const start = this.starts[i]!;
        if (seqDiff(start, base) >= seqDiff(h.right, base)) break;
        const end = this.ends[i]!;
        const xmit = this.xmits[i]!;
        // RFC 8985 §6.2 step 5: only segments sent before RACK's (Linux tcp_skb_sent_after).
        if (this.orders[i]! > this.xmitOrder) continue;
        const remaining = xmit + this.rtt + reoWnd - now;
        if (remaining <= 0) {
          const left = seqLt(start, h.left) ? h.left : start;
          const right = seqGt(end, h.right) ? h.right : end;
          const last = lost[lost.length - 1];
          if (last !== undefined && last.right === left) lost[lost.length - 1] = { left: last.left, right };
          else lost.push({ left, right });
        } else if (remaining > wait) {
          wait = remaining;
        }
      }
    }
    return { lost, timerAt: wait > 0 ? now + wait + TIMEOUT_MIN : undefined };
  }

  // ------------------------------------------------------------------------------------------

  private baseSeq(): number {
    return this.head < this.starts.length ? this.starts[this.head]! : 0;
  }

  /** The index of the first record whose end lies after `seq` (binary search). */
  private indexOf(seq: number): number {
    const base = this.baseSeq();
    const target = seqDiff(seq, base);
    let lo = this.head;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqDiff(this.ends[mid]!, base) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Split the record holding `seq` strictly inside it, so that a record starts at `seq`. */
  private splitAt(seq: number): void {
    const i = this.indexOf(seq);
    if (i >= this.starts.length) return;
    const start = this.starts[i]!;
    if (!seqLt(start, seq)) return;
    this.starts.splice(i + 1, 0, seq);
    this.ends.splice(i + 1, 0, this.ends[i]!);
    this.xmits.splice(i + 1, 0, this.xmits[i]!);
    this.orders.splice(i + 1, 0, this.orders[i]!);
    this.retransmitted.splice(i + 1, 0, this.retransmitted[i]!);
    this.ends[i] = seq;
  }
}

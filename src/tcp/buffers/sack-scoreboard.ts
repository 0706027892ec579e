/**
 * The sender's SACK scoreboard (RFC 6675 §2-§4 over the SACK option of RFC 2018, with the
 * D-SACK reading of RFC 2883): which octets above SND.UNA the receiver reports holding, which
 * were retransmitted, and from those the routines IsLost, SetPipe and NextSeg of RFC 6675 §4.
 *
 * Conventions:
 * - Sequence numbers are absolute and compared mod 2^32 (src/wire/seq.ts); every range lies in
 *   [SND.UNA, SND.NXT], so offsets from SND.UNA order them even across the wrap.
 * - Every range is [left, right) like a SACK block, and every "highest" is an exclusive right
 *   edge: `highestSacked` is the sequence number after the highest SACKed octet, `highRxt` is
 *   RFC 6675's HighRxt + 1. RFC 6675's HighACK is SND.UNA − 1 and HighData is SND.NXT − 1.
 * - "sndNxt" arguments mean the highest sequence number sent so far plus one (HighData + 1). A
 *   connection that rewinds SND.NXT on RTO, BSD-style, passes SND.MAX instead.
 * - SYN and FIN are octets of sequence space like any other here (they can be outstanding and
 *   count in pipe); SACK blocks never cover them in practice.
 *
 * The state is a few sorted arrays of ranges (no per-octet or per-segment records), bounded by
 * `maxRanges`: a receiver that SACKs every other byte cannot make it grow without limit. When a
 * SACK block would need a new range and none is left, the block is ignored: knowing less about
 * SACKed data only makes the sender more conservative (more pipe, fewer losses detected).
 */

import type { SackBlock } from '../../wire/tcp-options.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../../wire/seq.js';

/** RFC 6675 §2 / RFC 5681 §3.2: the number of duplicate ACKs (or SACKed segments) meaning loss. */
export const DEFAULT_DUP_THRESH = 3;

/** What one {@link SackScoreboard.onSack} did. */
export interface SackUpdate {
  /** Octets SACKed for the first time: an ACK with any counts toward DupAcks (RFC 6675 §5). */
  newlySacked: number;
  /** The D-SACK block (RFC 2883 §4), reported and never recorded as SACKed; `null` if none. */
  dsack: SackBlock | null;
  /** Blocks ignored: empty or inverted, outside [SND.UNA, SND.NXT], or no room left. */
  invalid: number;
}

export interface SackScoreboardOptions {
  /** At most this many discontiguous SACKed ranges (and retransmitted ranges). Default 256. */
  maxRanges?: number;
}

const DEFAULT_MAX_RANGES = 256;
/** Shared by every empty RangeSet; never written (add allocates first). */
const NO_RANGES = new Uint32Array(0);

/**
 * A sorted set of disjoint, non-adjacent [left, right) ranges of sequence numbers, all at or
 * above a base (SND.UNA) passed by the owner. Typed arrays with one spare slot: no garbage.
 */
class RangeSet {
  // Allocated on the first add: most connections never see a SACK block, and 2 KiB each for
  // nothing is most of an idle connection's memory.
  lefts: Uint32Array = NO_RANGES;
  rights: Uint32Array = NO_RANGES;
  count = 0;

  constructor(readonly max: number) {}

  /** Index of the range holding `seq`, or -1. */
  find(seq: number, base: number): number {
    const o = (seq - base) >>> 0;
    for (let k = 0; k < this.count; k++) {
      if (((this.lefts[k]! - base) >>> 0) > o) return -1;
      if (((this.rights[k]! - base) >>> 0) > o) return k;
    }
    return -1;
  }

  /**
   * Add [left, right) (offsets from `base`: lo < hi). Returns the octets newly covered, or -1
   * when it needed a new range and the set is full (then nothing changed) unless `coalesce`,
   * which instead stretches the nearest range over the gap (an over-approximation).
   */
  add(left: number, right: number, base: number, coalesce: boolean): number {
    if (this.lefts.length === 0) {
      this.lefts = new Uint32Array(this.max + 1);
      this.rights = new Uint32Array(this.max + 1);
    }
    const lefts = this.lefts;
    const rights = this.rights;
    const n = this.count;
    const lo = (left - base) >>> 0;
    const hi = (right - base) >>> 0;
    let i = 0;
    while (i < n && ((rights[i]! - base) >>> 0) < lo) i++;
    let j = i;
    let covered = 0;
    let newLo = lo;
    let newHi = hi;
    while (j < n) {
      const l = (lefts[j]! - base) >>> 0;
      if (l > hi) break;
      const r = (rights[j]! - base) >>> 0;
      covered += Math.max(0, Math.min(r, hi) - Math.max(l, lo));
      if (l < newLo) newLo = l;
      if (r > newHi) newHi = r;
      j++;
    }
    if (i === j) {
      if (n === this.max) {
        if (!coalesce) return -1;
        // Merge with the neighbour below (or above, for the lowest): covers the gap too.
        const k = i > 0 ? i - 1 : 0;
        const l = (lefts[k]! - base) >>> 0;
        const r = (rights[k]! - base) >>> 0;
        const mergedLo = Math.min(l, lo);
        const mergedHi = Math.max(r, hi);
        lefts[k] = (base + mergedLo) >>> 0;
        rights[k] = (base + mergedHi) >>> 0;
        return mergedHi - mergedLo - (r - l);
      }
      lefts.copyWithin(i + 1, i, n);
      rights.copyWithin(i + 1, i, n);
      this.count = n + 1;
    } else if (j - i > 1) {
      lefts.copyWithin(i + 1, j, n);
      rights.copyWithin(i + 1, j, n);
      this.count = n - (j - i - 1);
    }
    lefts[i] = (base + newLo) >>> 0;
    rights[i] = (base + newHi) >>> 0;
    return hi - lo - covered;
  }

  /** Drop everything below `base` (the old base was `oldBase`); returns the octets dropped. */
  trimBelow(base: number, oldBase: number): number {
    const cut = (base - oldBase) >>> 0;
    let k = 0;
    let dropped = 0;
    while (k < this.count) {
      const l = (this.lefts[k]! - oldBase) >>> 0;
      const r = (this.rights[k]! - oldBase) >>> 0;
      if (l >= cut) break;
      if (r <= cut) {
        dropped += r - l;
        k++;
      } else {
        dropped += cut - l;
        this.lefts[k] = base;
        break;
      }
    }
    if (k > 0) {
      this.lefts.copyWithin(0, k, this.count);
      this.rights.copyWithin(0, k, this.count);
      this.count -= k;
    }
    return dropped;
  }

  /**
   * Remove [left, right) (lo < hi as offsets from `base`). A range cut in two needs a slot;
   * without one the piece above the cut is dropped too (the set only ever loses information).
   */
  remove(left: number, right: number, base: number): void {
    const lo = (left - base) >>> 0;
    const hi = (right - base) >>> 0;
    for (let k = 0; k < this.count; k++) {
      const l = (this.lefts[k]! - base) >>> 0;
      if (l >= hi) return;
      const r = (this.rights[k]! - base) >>> 0;
      if (r <= lo) continue;
      if (l < lo && r > hi && this.count < this.max) {
        // Split: [l, lo) stays here, [hi, r) goes after it.
        this.lefts.copyWithin(k + 2, k + 1, this.count);
        this.rights.copyWithin(k + 2, k + 1, this.count);
        this.count++;
        this.rights[k] = left >>> 0;
        this.lefts[k + 1] = right >>> 0;
        this.rights[k + 1] = (base + r) >>> 0;
        return;
      }
      if (l < lo) {
        this.rights[k] = left >>> 0;
        continue;
      }
      if (r > hi) {
        this.lefts[k] = right >>> 0;
        return;
      }
      this.lefts.copyWithin(k, k + 1, this.count);
      this.rights.copyWithin(k, k + 1, this.count);
      this.count--;
      k--;
    }
  }

  /** Octets of the set inside [from, to) (offsets from base). */
  coveredIn(from: number, to: number, base: number): number {
    let sum = 0;
    for (let k = 0; k < this.count; k++) {
      const l = (this.lefts[k]! - base) >>> 0;
      if (l >= to) break;
      const r = (this.rights[k]! - base) >>> 0;
      const lo = Math.max(l, from);
      const hi = Math.min(r, to);
      if (hi > lo) sum += hi - lo;
    }
    return sum;
  }

  blocks(): SackBlock[] {
    const out: SackBlock[] = [];
    for (let k = 0; k < this.count; k++) out.push({ left: this.lefts[k]!, right: this.rights[k]! });
    return out;
  }
}

export class SackScoreboard {
  private una: number;
  private readonly sacked: RangeSet;
  private readonly rexmit: RangeSet;
  /** Ranges RACK (src/tcp/rack.ts) found lost and not retransmitted since (Linux TCPCB_LOST
   *  without TCPCB_SACKED_RETRANS). */
  private readonly lost: RangeSet;
  private sackedOctets = 0;
  /** DupThresh for IsLost (RFC 6675 §2): the connection raises it with the reordering it sees
   *  (Linux tp->reordering). */
  dupThresh = DEFAULT_DUP_THRESH;
  /** RFC 6675 HighRxt + 1. */
  private rxtNext: number;
  /** After an RTO, every unSACKed octet below this is lost (Linux tcp_enter_loss). */
  private rtoLostEnd = 0;
  private rtoLost = false;
  private readonly update: SackUpdate = { newlySacked: 0, dsack: null, invalid: 0 };

  constructor(sndUna = 0, options: SackScoreboardOptions = {}) {
    const maxRanges = options.maxRanges ?? DEFAULT_MAX_RANGES;
    if (!Number.isInteger(maxRanges) || maxRanges < 1) throw new RangeError(`maxRanges must be a positive integer, got ${maxRanges}`);
    this.sacked = new RangeSet(maxRanges);
    this.rexmit = new RangeSet(maxRanges);
    this.lost = new RangeSet(maxRanges);
    this.una = sndUna >>> 0;
    this.rxtNext = this.una;
  }

  /** SND.UNA as the scoreboard knows it (RFC 6675 HighACK + 1). */
  get sndUna(): number {
    return this.una;
  }

  /** Octets above SND.UNA that the receiver reported holding. */
  get sackedBytes(): number {
    return this.sackedOctets;
  }

  /** The sequence number after the highest SACKed octet; SND.UNA when nothing is SACKed. */
  get highestSacked(): number {
    const n = this.sacked.count;
    return n === 0 ? this.una : this.sacked.rights[n - 1]!;
  }

  /** RFC 6675 HighRxt + 1: the sequence number after the highest retransmitted octet. */
  get highRxt(): number {
    return this.rxtNext;
  }

  get hasSacked(): boolean {
    return this.sacked.count > 0;
  }

  /** Octets recorded as retransmitted and neither ACKed nor SACKed since. */
  get retransmittedBytes(): number {
    return this.rexmitNotSacked(this.rexmit.count === 0 ? this.una : this.rexmit.rights[this.rexmit.count - 1]!);
  }

  /** Start over at `sndUna` (a new connection). */
  reset(sndUna: number): void {
    this.una = sndUna >>> 0;
    this.clear();
  }

  /**
   * Forget all SACK and retransmission state, keeping SND.UNA. RFC 2018 §8: "after a
   * retransmit timeout the data sender SHOULD turn off all of the SACKed bits, since the timeout
   * might indicate that the data receiver has reneged". {@link onRetransmissionTimeout} is the
   * finer choice; this is for a connection that prefers the RFC 2018 rule, or is aborting.
   */
  clear(): void {
    this.sacked.count = 0;
    this.rexmit.count = 0;
    this.lost.count = 0;
    this.sackedOctets = 0;
    this.rxtNext = this.una;
    this.rtoLost = false;
  }

  /**
   * The cumulative ACK moved SND.UNA to `ack`: everything below it is gone from the scoreboard
   * (RFC 6675 §4 Update(): the scoreboard covers HighACK onwards). Old or equal ACKs are ignored.
   */
  onCumulativeAck(ack: number): void {
    ack >>>= 0;
    if (!seqGt(ack, this.una)) return;
    const old = this.una;
    this.sackedOctets -= this.sacked.trimBelow(ack, old);
    this.rexmit.trimBelow(ack, old);
    this.lost.trimBelow(ack, old);
    this.una = ack;
    if (seqLt(this.rxtNext, ack)) this.rxtNext = ack;
    if (this.rtoLost && seqLe(this.rtoLostEnd, ack)) this.rtoLost = false;
  }

  /**
   * Record the SACK blocks of an incoming ACK (RFC 6675 §4 Update()). `ack` is that segment's
   * acknowledgment number (call {@link onCumulativeAck} first if it moved SND.UNA), `sndNxt` the
   * highest sequence number sent plus one.
   *
   * - RFC 2883 §4: the first block is a D-SACK when it lies (partly) below the cumulative ACK,
   *   or inside the second block. It reports a duplicate, not new data: returned, not recorded.
   * - Any other block must lie in [SND.UNA, SND.NXT] and be non-empty, or it is ignored
   *   (Linux tcp_is_sackblock_valid: a receiver cannot hold what was never sent, and a block
   *   below SND.UNA is old news).
   * The returned object is reused by the next call: read its fields before calling again.
   */
  onSack(ack: number, blocks: readonly SackBlock[], sndNxt: number): Readonly<SackUpdate> {
    const u = this.update;
    u.newlySacked = 0;
    u.dsack = null;
    u.invalid = 0;
    ack >>>= 0;
    sndNxt >>>= 0;
    for (let k = 0; k < blocks.length; k++) {
      const left = blocks[k]!.left >>> 0;
      const right = blocks[k]!.right >>> 0;
      if (!seqLt(left, right)) {
        u.invalid++;
        continue;
      }
      if (k === 0 && isDsack(left, right, ack, blocks)) {
        u.dsack = { left, right };
        continue;
      }
      // Offsets from SND.UNA, not pairwise comparisons: a block 2^31 wide passes seqLt(left,
      // right) and seqGt(right, SND.NXT) at once while its left edge lies past SND.NXT.
      const leftOff = (left - this.una) >>> 0;
      const rightOff = (right - this.una) >>> 0;
      if (rightOff > ((sndNxt - this.una) >>> 0) || leftOff >= rightOff) {
        u.invalid++;
        continue;
      }
      const added = this.sacked.add(left, right, this.una, false);
      if (added < 0) {
        u.invalid++;
        continue;
      }
      this.sackedOctets += added;
      u.newlySacked += added;
      if (added > 0 && this.lost.count > 0) this.lost.remove(left, right, this.una);
    }
    return u;
  }

  /**
   * The parts of [left, right) not SACKed yet, clipped to SND.UNA and `sndNxt`: ask before
   * {@link onSack} or {@link onCumulativeAck} what an ACK newly delivers.
   */
  unsackedParts(left: number, right: number, sndNxt: number): SackBlock[] {
    // As offsets from SND.UNA (see onSack): anything outside [SND.UNA, sndNxt] is clipped,
    // a range 2^31 wide included.
    const span = (sndNxt - this.una) >>> 0;
    const leftOff = seqLt(left >>> 0, this.una) ? 0 : Math.min((left - this.una) >>> 0, span);
    const rightOff = seqLt(right >>> 0, this.una) ? 0 : Math.min((right - this.una) >>> 0, span);
    if (leftOff >= rightOff) return [];
    return this.gaps(this.sacked, seqAdd(this.una, leftOff), seqAdd(this.una, rightOff));
  }

  /**
   * The unSACKed ranges of [SND.UNA, `sndNxt`) not already marked lost by {@link markLost}
   * (lost ones wait for their retransmission): where RACK looks for new losses.
   */
  holes(sndNxt: number): SackBlock[] {
    sndNxt >>>= 0;
    if (!seqLt(this.una, sndNxt)) return [];
    const out: SackBlock[] = [];
    for (const h of this.gaps(this.sacked, this.una, sndNxt)) out.push(...this.gaps(this.lost, h.left, h.right));
    return out;
  }

  /**
   * RACK found [start, end) lost (RFC 8985 §6.2 step 5): it is lost until retransmitted, and a
   * retransmission of it on record was lost too (it no longer counts in pipe). True when such a
   * retransmission was on record (Linux TCPLostRetransmit).
   */
  markLost(start: number, end: number): boolean {
    start >>>= 0;
    end >>>= 0;
    if (seqLt(start, this.una)) start = this.una;
    if (!seqLt(start, end)) return false;
    this.lost.add(start, end, this.una, true);
    const una = this.una;
    const wasRetransmitted = this.rexmit.coveredIn((start - una) >>> 0, (end - una) >>> 0, una) > 0;
    this.rexmit.remove(start, end, una);
    return wasRetransmitted;
  }

  /** Octets marked lost by {@link markLost} and not retransmitted since. */
  get markedLostBytes(): number {
    return this.lost.coveredIn(0, 0xffffffff, this.una);
  }

  /** Whether the receiver reported holding octet `seq` (only octets at or above SND.UNA). */
  isSacked(seq: number): boolean {
    return this.sacked.find(seq >>> 0, this.una) >= 0;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): "true when either DupThresh discontiguous SACKed sequences have
   * arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with sequence numbers
   * greater than 'SeqNum' have been SACKed". A discontiguous SACKed sequence is one range of the
   * scoreboard. A SACKed octet, or one below SND.UNA, is not lost. After an RTO, every unSACKed
   * octet sent before it is lost too (see {@link onRetransmissionTimeout}).
   */
  isLost(seq: number, mss: number, dupThresh = this.dupThresh): boolean {
    seq >>>= 0;
    if (seqLt(seq, this.una) || this.isSacked(seq)) return false;
    return seqLt(seq, this.lostEnd(mss, dupThresh)) || this.lost.find(seq, this.una) >= 0;
  }

  /**
   * Every unSACKed octet below the returned sequence number is lost, none at or above it.
   * IsLost only weakens going up (fewer SACKed ranges and octets lie above a higher octet), so
   * the lost octets are a prefix and one walk down the ranges finds its end.
   */
  lostEnd(mss: number, dupThresh = this.dupThresh): number {
    const s = this.sacked;
    const byteThresh = (dupThresh - 1) * mss;
    let end = this.una;
    let bytes = 0;
    for (let k = s.count - 1; k >= 0; k--) {
      bytes += (s.rights[k]! - s.lefts[k]!) >>> 0;
      if (s.count - k >= dupThresh || bytes > byteThresh) {
        end = s.lefts[k]!;
        break;
      }
    }
    if (this.rtoLost && seqGt(this.rtoLostEnd, end)) end = this.rtoLostEnd;
    return end;
  }

  /**
   * RFC 6675 §4 SetPipe(): for each unSACKed octet from HighACK + 1 to HighData, "(a) If IsLost
   * (S1) returns false: Pipe is incremented by 1 octet", "(b) If S1 <= HighRxt: Pipe is
   * incremented by 1 octet". For (b) this counts the octets actually retransmitted (recorded by
   * {@link markRetransmitted}) rather than all octets up to HighRxt: the two agree when
   * retransmissions follow NextSeg in order, and the record also counts a rescue retransmission
   * (rule 4, which leaves HighRxt alone) and skips SACKed holes. Linux counts the same way
   * (retrans_out in tcp_packets_in_flight).
   */
  pipe(sndNxt: number, mss: number, dupThresh = this.dupThresh): number {
    sndNxt >>>= 0;
    const una = this.una;
    const top = Math.max(0, seqDiff(sndNxt, una));
    let lost = seqDiff(this.lostEnd(mss, dupThresh), una);
    if (lost > top) lost = top;
    // RACK's lost ranges above the IsLost prefix are not in the network either (they are never
    // SACKed: onSack removes what it SACKs).
    const inFlight = top - lost - this.sacked.coveredIn(lost, top, una) - this.lost.coveredIn(lost, top, una);
    return Math.max(0, inFlight) + this.rexmitNotSacked(sndNxt);
  }

  /**
   * RFC 6675 §4 NextSeg() rule (1): the smallest unSACKed sequence number S2 with "(1.a) S2 is
   * greater than HighRxt. (1.b) S2 is less than the highest octet covered by any received SACK.
   * (1.c) IsLost (S2) returns true." `undefined` if none. Send up to
   * {@link segmentEnd}(S2, mss, sndNxt), then {@link markRetransmitted}.
   */
  nextLost(mss: number, dupThresh = this.dupThresh): number | undefined {
    const s2 = this.firstUnsackedFrom(this.rxtNext);
    const byRule = seqLt(s2, this.lostEnd(mss, dupThresh)) ? s2 : undefined;
    // RACK's lost ranges, below HighRxt too (a lost retransmission goes again).
    const byRack = this.lost.count > 0 ? this.lost.lefts[0]! : undefined;
    if (byRack === undefined) return byRule;
    if (byRule === undefined) return byRack;
    return seqLt(byRack, byRule) ? byRack : byRule;
  }

  /**
   * RFC 6675 §4 NextSeg() rule (3), for when rules (1) and (2) (new data: the connection's
   * business) have nothing: the smallest unSACKed S3 meeting (1.a) and (1.b), lost or not.
   */
  nextUnsacked(): number | undefined {
    const s3 = this.firstUnsackedFrom(this.rxtNext);
    return seqLt(s3, this.highestSacked) ? s3 : undefined;
  }

  /**
   * RFC 6675 §4 NextSeg() rule (4), the rescue retransmission: the start of "one segment of up
   * to SMSS octets that MUST include the highest outstanding unSACKed sequence number", or
   * `undefined` when everything outstanding is SACKed. Its once-per-recovery bookkeeping
   * (RescueRxt, RecoveryPoint) is the connection's; mark it with `updateHighRxt = false`.
   */
  rescueStart(mss: number, sndNxt: number): number | undefined {
    sndNxt >>>= 0;
    const s = this.sacked;
    let holeEnd = sndNxt;
    let k = s.count - 1;
    // The highest unSACKed octet lies below the last range if that range reaches SND.NXT.
    if (k >= 0 && seqGe(s.rights[k]!, sndNxt)) {
      holeEnd = s.lefts[k]!;
      k--;
    }
    const holeStart = k >= 0 ? s.rights[k]! : this.una;
    if (!seqLt(holeStart, holeEnd)) return undefined;
    const len = Math.min(mss, seqDiff(holeEnd, holeStart));
    return (holeEnd - len) >>> 0;
  }

  /**
   * Where a retransmission starting at the unSACKed octet `start` ends: at most `mss` octets,
   * stopping before the next SACKed range (the receiver has it) and at `sndNxt`.
   */
  segmentEnd(start: number, mss: number, sndNxt: number): number {
    start >>>= 0;
    const una = this.una;
    const o = (start - una) >>> 0;
    let end = Math.min(o + mss, Math.max(0, seqDiff(sndNxt >>> 0, una)));
    const s = this.sacked;
    for (let k = 0; k < s.count; k++) {
      const l = (s.lefts[k]! - una) >>> 0;
      if (l > o) {
        if (l < end) end = l;
        break;
      }
    }
    // A range RACK marked lost above the IsLost prefix is retransmitted alone: what follows it
    // may still be on its way.
    const k = this.lost.find(start, una);
    if (k >= 0 && !seqLt(start, this.lostEnd(mss))) end = Math.min(end, (this.lost.rights[k]! - una) >>> 0);
    return (una + Math.max(end, o)) >>> 0;
  }

  /**
   * Record that [start, end) was retransmitted: it counts twice in pipe until ACKed or SACKed
   * (RFC 6675 §4 SetPipe (b)). `updateHighRxt` is false only for a rescue retransmission (RFC
   * 6675 §4 NextSeg (4): "HighRxt MUST NOT be updated").
   */
  markRetransmitted(start: number, end: number, updateHighRxt = true): void {
    start >>>= 0;
    end >>>= 0;
    if (seqLt(start, this.una)) start = this.una;
    if (!seqLt(start, end)) return;
    this.rexmit.add(start, end, this.una, true);
    if (this.lost.count > 0) this.lost.remove(start, end, this.una);
    if (updateHighRxt && seqGt(end, this.rxtNext)) this.rxtNext = end;
  }

  /**
   * Entering loss recovery (RFC 6675 §5 step (4)): retransmission restarts at SND.UNA (step
   * (4.3) retransmits from HighACK + 1, and marking that segment sets HighRxt to its end).
   * Retransmission records of an earlier episode are dropped: they were ACKed before a new
   * recovery may begin, or else an RTO already dropped them.
   */
  beginRecovery(): void {
    this.rxtNext = this.una;
    this.rexmit.count = 0;
  }

  /**
   * The retransmission timer expired; call before retransmitting. Follows Linux
   * (tcp_timeout_mark_lost): every unSACKed octet sent so far (below `sndNxt`) is now lost,
   * retransmission records are dropped (the retransmissions are presumed lost too) and
   * retransmission restarts at SND.UNA, skipping SACKed ranges: RFC 6675 §5.1, "a SACK TCP
   * sender SHOULD utilize all SACK information made available during the loss recovery
   * following an RTO". Exception, as in Linux: if the octet at SND.UNA is SACKed, the receiver
   * has reneged (RFC 2018 §8) and all SACK information is discarded. Returns whether it did.
   */
  onRetransmissionTimeout(sndNxt: number): boolean {
    const reneged = this.sacked.count > 0 && this.sacked.lefts[0] === this.una;
    if (reneged) {
      this.sacked.count = 0;
      this.sackedOctets = 0;
    }
    this.rexmit.count = 0;
    this.lost.count = 0;
    this.rxtNext = this.una;
    sndNxt >>>= 0;
    this.rtoLost = seqGt(sndNxt, this.una);
    this.rtoLostEnd = sndNxt;
    return reneged;
  }

  /** The SACKed ranges, in sequence order. */
  sackedBlocks(): SackBlock[] {
    return this.sacked.blocks();
  }

  /** The retransmitted ranges on record, in sequence order (they may overlap SACKed ones). */
  retransmittedBlocks(): SackBlock[] {
    return this.rexmit.blocks();
  }

  /** The parts of [from, to) outside `set`. */
  private gaps(set: RangeSet, from: number, to: number): SackBlock[] {
    const una = this.una;
    const lo = (from - una) >>> 0;
    const hi = (to - una) >>> 0;
    const out: SackBlock[] = [];
    let cursor = lo;
    for (let k = 0; k < set.count && cursor < hi; k++) {
      const l = (set.lefts[k]! - una) >>> 0;
      const r = (set.rights[k]! - una) >>> 0;
      if (r <= cursor) continue;
      if (l >= hi) break;
      if (l > cursor) out.push({ left: (una + cursor) >>> 0, right: (una + l) >>> 0 });
      cursor = Math.max(cursor, r);
    }
    if (cursor < hi) out.push({ left: (una + cursor) >>> 0, right: (una + hi) >>> 0 });
    return out;
  }

  /** The first octet at or after `from` that is not SACKed. */
  private firstUnsackedFrom(from: number): number {
    const s = this.sacked;
    const una = this.una;
    let o = (from - una) >>> 0;
    for (let k = 0; k < s.count; k++) {
      const l = (s.lefts[k]! - una) >>> 0;
      if (l > o) break;
      const r = (s.rights[k]! - una) >>> 0;
      if (r > o) o = r;
    }
    return (una + o) >>> 0;
  }

  /** Retransmitted octets below `sndNxt` that are not SACKed (two sorted lists, one walk). */
  private rexmitNotSacked(sndNxt: number): number {
    const x = this.rexmit;
    if (x.count === 0) return 0;
    const s = this.sacked;
    const una = this.una;
    const top = Math.max(0, seqDiff(sndNxt, una));
    let sum = 0;
    let m = 0;
    for (let k = 0; k < x.count; k++) {
      const l = (x.lefts[k]! - una) >>> 0;
      if (l >= top) break;
      const r = Math.min((x.rights[k]! - una) >>> 0, top);
      sum += r - l;
      // SACKed ranges wholly below this one cannot meet the later ones either.
      while (m < s.count && ((s.rights[m]! - una) >>> 0) <= l) m++;
      for (let q = m; q < s.count; q++) {
        const sl = (s.lefts[q]! - una) >>> 0;
        if (sl >= r) break;
        const sr = (s.rights[q]! - una) >>> 0;
        sum -= Math.min(sr, r) - Math.max(sl, l);
      }
    }
    return sum;
  }
}

/**
 * RFC 2883 §4: the first block is a D-SACK when it reports data below the cumulative ACK, or
 * when it is contained in the second block (Linux tcp_check_dsack makes the same two tests).
 */
function isDsack(left: number, right: number, ack: number, blocks: readonly SackBlock[]): boolean {
  if (seqLt(left, ack)) return true;
  if (blocks.length < 2) return false;
  const l1 = blocks[1]!.left >>> 0;
  const r1 = blocks[1]!.right >>> 0;
  return seqGe(left, l1) && seqLe(right, r1);
}

/**
 * The receive buffer of one connection, with reassembly of out-of-order data.
 *
 * Sequence numbers are absolute and RCV.NXT lives here ({@link ReceiveBuffer.rcvNxt}): the
 * connection passes SEG.SEQ as it came off the wire and reads RCV.NXT back, so the two can never
 * disagree about where the data stands. SYN and FIN occupy sequence space but are not data
 * (RFC 9293 §3.4): the connection starts the buffer at IRS+1 ({@link ReceiveBuffer.reset}) and,
 * once `rcvNxt` reaches the FIN's sequence number, its own RCV.NXT is `rcvNxt + 1`; nothing more
 * is inserted after that.
 *
 * Layout: one ring of `capacity` bytes. Offset 0 is the first unread byte; the `readable`
 * in-order bytes follow, and RCV.NXT sits at offset `readable`. Out-of-order data is copied
 * straight to where it belongs (offset `readable + (seq - rcvNxt)`), and a short sorted list of
 * held ranges says which bytes are present. When a gap fills, RCV.NXT jumps over the held range
 * and the bytes are already in place: nothing is copied twice, and data and bookkeeping together
 * never exceed `capacity` bytes plus `maxRanges` entries.
 *
 * The window this buffer can take is `capacity - readable` from RCV.NXT, so its right edge
 * (first unread byte + capacity) moves only forward as the application reads: receiving never
 * shrinks it (RFC 9293 §3.8.6.2.2 discourages shrinking). When to *advertise* a larger window
 * (receiver-side SWS avoidance, RFC 9293 §3.8.6.2.2) and the window scale are the connection's.
 */

import type { SackBlock } from '../../wire/tcp-options.js';
import { seqAdd, seqDiff } from '../../wire/seq.js';
import { uninitializedBytes } from '../../wire/slab.js';
import { ByteRing, checkCapacity } from './byte-ring.js';

/** What one {@link ReceiveBuffer.insert} did. */
export interface InsertResult {
  /** Bytes of the segment stored for the first time (in order or held out of order). */
  accepted: number;
  /** How far RCV.NXT moved: the new bytes plus any held data the segment made contiguous. */
  advanced: number;
  /**
   * The first run of the segment's bytes that had already been received (below RCV.NXT, or
   * already held): what RFC 2883 §4 reports as a D-SACK block in the next ACK. `null` if none.
   */
  duplicate: SackBlock | null;
  /** Bytes dropped because they lay beyond the window (RCV.NXT + window()). */
  beyondWindow: number;
  /** Bytes of this segment not stored: it needed a new range, with `maxRanges` held above it. */
  dropped: number;
  /**
   * Held bytes given up to make room for this segment: the highest range, when `maxRanges` were
   * held. They may have been SACKed already; the peer retransmits them after its RTO (RFC 2018
   * §8 allows the receiver to renege).
   */
  evicted: number;
}

const INSERT_RESULT: InsertResult = { accepted: 0, advanced: 0, duplicate: null, beyondWindow: 0, dropped: 0, evicted: 0 };

export interface ReceiveBufferOptions {
  /**
   * At most this many discontiguous out-of-order ranges are held (smoltcp bounds its assembler
   * the same way). Beyond that, the highest range is given up first, as Linux's
   * tcp_prune_ofo_queue does: the sender retransmits it. Default 64.
   */
  maxRanges?: number;
}

const DEFAULT_MAX_RANGES = 64;
const EMPTY_READ = new Uint8Array(0);
/** Shared by every buffer that never held data out of order; never written. */
const NO_RANGES = new Uint32Array(0);
const NO_STAMPS = new Float64Array(0);

export class ReceiveBuffer {
  private readonly ring = new ByteRing();
  private cap: number;
  private readonly maxRanges: number;
  private nxt = 0;
  private inOrder = 0;
  /** Held out-of-order ranges [left, right) as absolute sequence numbers, sorted, disjoint and
   * non-adjacent, all inside (RCV.NXT, RCV.NXT + window). One spare slot for the insert path. */
  private lefts: Uint32Array = NO_RANGES;
  private rights: Uint32Array = NO_RANGES;
  /** When each range last received a segment, for the order of SACK blocks (RFC 2018 §4). */
  private stamps: Float64Array = NO_STAMPS;
  private ranges = 0;
  private clock = 0;
  private held = 0;
  /** Shared by every buffer (inserts are synchronous): the hot path allocates nothing, and an
   *  idle connection does not carry one. */
  private readonly result: InsertResult = INSERT_RESULT;

  constructor(capacity: number, rcvNxt = 0, options: ReceiveBufferOptions = {}) {
    checkCapacity(capacity);
    const maxRanges = options.maxRanges ?? DEFAULT_MAX_RANGES;
    if (!Number.isInteger(maxRanges) || maxRanges < 1) throw new RangeError(`maxRanges must be a positive integer, got ${maxRanges}`);
    this.cap = capacity;
    this.maxRanges = maxRanges;
    this.nxt = rcvNxt >>> 0;
  }

  /** RCV.NXT: the sequence number of the next in-order byte expected. */
  get rcvNxt(): number {
    return this.nxt;
  }

  get capacity(): number {
    return this.cap;
  }

  /** In-order bytes the application can read now. */
  get readable(): number {
    return this.inOrder;
  }

  /** Bytes held out of order, waiting for a gap to fill. */
  get outOfOrderBytes(): number {
    return this.held;
  }

  get hasOutOfOrder(): boolean {
    return this.ranges > 0;
  }

  /** Bytes from RCV.NXT to the end of the highest held range (Linux: the end of ooo_last_skb
   *  − rcv_nxt), 0 when nothing is held. */
  get outOfOrderExtent(): number {
    return this.ranges === 0 ? 0 : (this.rights[this.ranges - 1]! - this.nxt) >>> 0;
  }

  /** Bytes of memory actually allocated (grows on demand up to `capacity`). */
  get allocated(): number {
    return this.ring.allocated;
  }

  /**
   * RCV.WND before scaling: the bytes from RCV.NXT this buffer can still take. Held
   * out-of-order data lies inside this window and does not reduce it.
   */
  window(): number {
    return this.cap - this.inOrder;
  }

  /** Start over at `rcvNxt` (IRS + 1 when the SYN arrives), dropping everything held. */
  reset(rcvNxt: number): void {
    this.nxt = rcvNxt >>> 0;
    this.inOrder = 0;
    this.ranges = 0;
    this.held = 0;
    this.ring.rewind();
  }

  /**
   * Change the capacity. Shrinking stops at the bytes already stored (in order and held), and
   * may shrink the window: the connection must not advertise less than it already did
   * (RFC 9293 §3.8.6.2.2). Returns the new capacity.
   */
  setCapacity(capacity: number): number {
    checkCapacity(capacity);
    const extent = this.extent();
    this.cap = Math.max(capacity, extent);
    if (this.ring.allocated > this.cap) this.ring.reallocate(this.cap, extent);
    return this.cap;
  }

  /**
   * Take the data of a segment starting at `seq` (SEG.SEQ of its first data octet; after a SYN,
   * SEG.SEQ + 1). RFC 9293 §3.10.7.4: only bytes in [RCV.NXT, RCV.NXT + window()) are kept: "If
   * a segment's contents straddle the boundary between old and new, only the new parts should
   * be processed", and what lies past the window is trimmed off; "Segments with higher beginning
   * sequence numbers may be held for later processing": they are held here until RCV.NXT reaches
   * them, so every byte is delivered once and in order.
   *
   * Where the segment overlaps bytes already received (below RCV.NXT or held), the bytes
   * received first are kept and the new copy is ignored. Linux does so below RCV.NXT and for a
   * segment covered by a queued one; in its out-of-order queue, though, a newer segment that
   * covers queued ones replaces them. Here the first copy wins everywhere: a peer that sends
   * different bytes for the same sequence numbers is broken, and this way what the application
   * reads does not depend on the order in which the copies happened to arrive.
   *
   * The connection has already run the acceptability test of RFC 9293 §3.10.7.4 against the
   * window it advertised; this method only trims to what it can store.
   *
   * The returned object is reused by the next insert into any receive buffer: read its fields
   * before inserting again.
   */
  insert(seq: number, data: Uint8Array): Readonly<InsertResult> {
    const r = this.result;
    r.accepted = 0;
    r.advanced = 0;
    r.duplicate = null;
    r.beyondWindow = 0;
    r.dropped = 0;
    r.evicted = 0;
    const length = data.length;
    if (length === 0) return r;

    // Offsets relative to RCV.NXT. Segments are far shorter than 2^31, so the signed distance
    // tells old from new even across the wrap.
    const off = seqDiff(seq >>> 0, this.nxt);
    let start = off;
    let end = off + length;
    if (start < 0) {
      // RFC 9293 §3.10.7.4: the part below RCV.NXT is old; the connection ACKs it (and RFC 2883
      // §4 reports it as the D-SACK block).
      r.duplicate = { left: seq >>> 0, right: seqAdd(this.nxt, Math.min(end, 0)) };
      if (end <= 0) return r;
      start = 0;
    }
    const window = this.cap - this.inOrder;
    if (end > window) {
      r.beyondWindow = end - Math.max(start, window);
      end = window;
      if (start >= end) return r;
    }

    if (start === 0 && this.ranges === 0) {
      // The common case: in order, nothing held.
      this.store(0, end, data, off);
      this.nxt = seqAdd(this.nxt, end);
      this.inOrder += end;
      r.accepted = end;
      r.advanced = end;
      return r;
    }

    // The range tables exist from the first segment that is not simply in order: most
    // connections never need them, and an idle one should not carry 1.5 KiB of them.
    if (this.lefts.length === 0) {
      this.lefts = new Uint32Array(this.maxRanges + 1);
      this.rights = new Uint32Array(this.maxRanges + 1);
      this.stamps = new Float64Array(this.maxRanges + 1);
    }
    // Walk the held ranges that overlap or touch [start, end), copying only into the gaps
    // between them (first copy wins), and merge them all into one range.
    const nxt = this.nxt;
    const lefts = this.lefts;
    const rights = this.rights;
    const n = this.ranges;
    let i = 0;
    while (i < n && ((rights[i]! - nxt) >>> 0) < start) i++;
    let j = i;
    let cursor = start;
    let accepted = 0;
    while (j < n) {
      const l = (lefts[j]! - nxt) >>> 0;
      if (l > end) break;
      const rr = (rights[j]! - nxt) >>> 0;
      if (l > cursor) {
        this.store(cursor, l, data, off);
        accepted += l - cursor;
      }
      const dupStart = Math.max(l, start);
      const dupEnd = Math.min(rr, end);
      if (dupStart < dupEnd && r.duplicate === null) {
        r.duplicate = { left: seqAdd(nxt, dupStart), right: seqAdd(nxt, dupEnd) };
      }
      if (rr > cursor) cursor = rr;
      j++;
    }
    const newLeft = i < j ? Math.min(start, (lefts[i]! - nxt) >>> 0) : start;
    const newRight = Math.max(end, cursor);

    if (i === j && start > 0 && n === this.maxRanges) {
      // A new discontiguous range and no slot: give up the highest range, or this segment if it
      // would itself be the highest (RFC 2018 §8 allows the receiver to discard SACKed data).
      if (i === n) {
        r.dropped = end - start;
        return r;
      }
      const evicted = (rights[n - 1]! - lefts[n - 1]!) >>> 0;
      this.held -= evicted;
      this.ranges = n - 1;
      r.evicted = evicted;
      return this.insertNewRange(i, start, end, data, off, r);
    }

    if (cursor < end) {
      this.store(cursor, end, data, off);
      accepted += end - cursor;
    }
    // Ranges i..j-1 become one range at slot i.
    if (i === j) {
      this.openSlot(i);
    } else if (j - i > 1) {
      this.closeSlots(i + 1, j);
    }
    lefts[i] = seqAdd(nxt, newLeft);
    rights[i] = seqAdd(nxt, newRight);
    this.stamps[i] = ++this.clock;
    this.held += accepted;
    r.accepted = accepted;
    if (newLeft === 0) this.advance(newRight);
    return r;
  }

  /**
   * Copy up to `max` in-order bytes (default: all) into a new array and consume them; the array
   * is empty when nothing is readable.
   */
  read(max = this.inOrder): Uint8Array {
    const n = Math.max(0, Math.min(max, this.inOrder));
    // Every byte is written at once: no need to zero it first (a quarter of a bulk receiver's time).
    const out = n > 0 ? uninitializedBytes(n) : EMPTY_READ;
    this.ring.read(0, out, 0, n);
    this.consume(n);
    return out;
  }

  /** Copy in-order bytes into `target` from `targetOffset`, consume them, return how many. */
  readInto(target: Uint8Array, targetOffset = 0): number {
    if (targetOffset < 0 || targetOffset > target.length) {
      throw new RangeError(`target offset ${targetOffset} outside a ${target.length}-byte target`);
    }
    const n = Math.min(target.length - targetOffset, this.inOrder);
    this.ring.read(0, target, targetOffset, n);
    this.consume(n);
    return n;
  }

  /** The held out-of-order ranges, in sequence order. */
  outOfOrderBlocks(): SackBlock[] {
    const out: SackBlock[] = [];
    for (let k = 0; k < this.ranges; k++) out.push({ left: this.lefts[k]!, right: this.rights[k]! });
    return out;
  }

  /**
   * Up to `max` held ranges for the SACK option, most recently received first. RFC 2018 §4:
   * "The first SACK block ... MUST specify the contiguous block of data containing the segment
   * which triggered this ACK, unless that segment advanced the Acknowledgment Number field", and
   * the others SHOULD repeat the most recently reported blocks; ordering by the last segment
   * each range received gives both (Linux tcp_sack_new_ofo_skb moves the updated block to the
   * front the same way). A D-SACK block (InsertResult.duplicate) goes before these; that is the
   * connection's job, as is the option-space limit (3 blocks with timestamps, 4 without).
   */
  sackBlocks(max = 4): SackBlock[] {
    const n = this.ranges;
    const count = Math.min(Math.max(0, max), n);
    const out: SackBlock[] = [];
    if (count === 0) return out;
    const order: number[] = [];
    for (let k = 0; k < n; k++) order.push(k);
    order.sort((a, b) => this.stamps[b]! - this.stamps[a]!);
    for (let k = 0; k < count; k++) {
      const idx = order[k]!;
      out.push({ left: this.lefts[idx]!, right: this.rights[idx]! });
    }
    return out;
  }

  /** Bytes from the first unread one to the end of the highest held range. */
  private extent(): number {
    if (this.ranges === 0) return this.inOrder;
    return this.inOrder + ((this.rights[this.ranges - 1]! - this.nxt) >>> 0);
  }

  /** Copy the segment's bytes for offsets [from, to) (relative to RCV.NXT; data[0] is at `off`). */
  private store(from: number, to: number, data: Uint8Array, off: number): void {
    this.ring.reserve(this.inOrder + to, this.extent(), this.cap);
    this.ring.write(this.inOrder + from, data, from - off, to - from);
  }

  /** A range of its own at slot i, for a segment that touches no held range. */
  private insertNewRange(i: number, start: number, end: number, data: Uint8Array, off: number, r: InsertResult): InsertResult {
    this.store(start, end, data, off);
    this.openSlot(i);
    this.lefts[i] = seqAdd(this.nxt, start);
    this.rights[i] = seqAdd(this.nxt, end);
    this.stamps[i] = ++this.clock;
    this.held += end - start;
    r.accepted = end - start;
    return r;
  }

  private openSlot(i: number): void {
    const n = this.ranges;
    if (i < n) {
      this.lefts.copyWithin(i + 1, i, n);
      this.rights.copyWithin(i + 1, i, n);
      this.stamps.copyWithin(i + 1, i, n);
    }
    this.ranges = n + 1;
  }

  /** Remove slots [from, to). */
  private closeSlots(from: number, to: number): void {
    const n = this.ranges;
    this.lefts.copyWithin(from, to, n);
    this.rights.copyWithin(from, to, n);
    this.stamps.copyWithin(from, to, n);
    this.ranges = n - (to - from);
  }

  /** Range 0 starts at RCV.NXT and is `by` bytes long: it becomes in-order data. */
  private advance(by: number): void {
    this.held -= by;
    this.closeSlots(0, 1);
    this.nxt = seqAdd(this.nxt, by);
    this.inOrder += by;
    this.result.advanced = by;
  }

  private consume(n: number): void {
    if (n === 0) return;
    this.inOrder -= n;
    if (this.inOrder === 0 && this.ranges === 0) this.ring.rewind();
    else this.ring.advance(n);
  }
}


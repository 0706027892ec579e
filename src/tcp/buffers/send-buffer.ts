/**
 * The send buffer of one connection: bytes the application wrote that the peer has not yet
 * acknowledged (RFC 9293 §3.3.1: the part of the sequence space from SND.UNA onwards that holds
 * data, sent or not).
 *
 * It stores bytes only. Offset 0 is the byte at SND.UNA; the connection maps sequence numbers to
 * offsets (`offset = seqDiff(seq, sndUna)`, minus one while the SYN is unacknowledged) and keeps
 * SYN and FIN, which occupy sequence space but no buffer space (RFC 9293 §3.4), out of it.
 *
 * Storage is a {@link ByteRing}: `write` and `copyTo` are memcpy, `acknowledge` moves an index,
 * so streaming any volume costs O(bytes) with no allocation once the ring has grown.
 */

import { ByteRing, checkCapacity } from './byte-ring.js';

export { MAX_BUFFER_CAPACITY } from './byte-ring.js';

export class SendBuffer {
  private readonly ring = new ByteRing();
  private cap: number;
  private len = 0;

  constructor(capacity: number) {
    checkCapacity(capacity);
    this.cap = capacity;
  }

  /** The most bytes the buffer holds (Linux SO_SNDBUF, minus its bookkeeping overhead). */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held: written by the application, not yet acknowledged (sent or not). */
  get length(): number {
    return this.len;
  }

  /** Bytes `write` would take now. */
  get free(): number {
    return this.cap - this.len;
  }

  /** Bytes of memory actually allocated (grows on demand up to `capacity`). */
  get allocated(): number {
    return this.ring.allocated;
  }

  /**
   * Change the capacity. Growing always works; shrinking stops at `length`, because bytes that
   * were accepted from the application must still be delivered. Returns the new capacity.
   */
  setCapacity(capacity: number): number {
    checkCapacity(capacity);
    this.cap = Math.max(capacity, this.len);
    if (this.ring.allocated > this.cap) this.ring.reallocate(this.cap, this.len);
    return this.cap;
  }

  /**
   * Append as much of `data` as fits and return how many bytes were taken (backpressure: the
   * caller keeps the rest, like `write(2)` on a non-blocking socket). Data is copied, so the
   * caller may reuse `data` at once.
   */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.cap - this.len);
    if (n === 0) return 0;
    this.ring.reserve(this.len + n, this.len, this.cap);
    this.ring.write(this.len, data, 0, n);
    this.len += n;
    return n;
  }

  /**
   * Copy bytes [offset, offset + length) (offsets relative to SND.UNA) into `target` at
   * `targetOffset`, for building a segment, first transmission or retransmission alike. Copies
   * what is held (fewer bytes when the range runs past `length`) and returns how many.
   */
  copyTo(offset: number, target: Uint8Array, targetOffset = 0, length = target.length - targetOffset): number {
    this.checkOffset(offset);
    if (targetOffset < 0 || length < 0 || targetOffset + length > target.length) {
      throw new RangeError(`target range [${targetOffset}, +${length}) outside a ${target.length}-byte target`);
    }
    const n = Math.min(length, this.len - offset);
    this.ring.read(offset, target, targetOffset, n);
    return n;
  }

  /**
   * Views, without copying, of bytes [offset, offset + length) (clamped to what is held): one
   * view, or two when the range wraps around the ring. They alias the buffer: valid only until
   * the next `write`, `acknowledge`, `setCapacity` or `clear`.
   */
  peek(offset: number, length: number): Uint8Array[] {
    this.checkOffset(offset);
    if (length < 0) throw new RangeError(`negative length ${length}`);
    return this.ring.views(offset, Math.min(length, this.len - offset));
  }

  /**
   * Drop the first `n` bytes: the peer acknowledged them and SND.UNA moved forward by `n`
   * (RFC 9293 §3.10.7.4, "Any segments on the retransmission queue that are thereby entirely
   * acknowledged are removed"). Acknowledging more than is held is the caller's error: an ACK
   * beyond SND.NXT is rejected before it gets here, and SYN/FIN are not in this buffer.
   */
  acknowledge(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.len) {
      throw new RangeError(`cannot acknowledge ${n} bytes of ${this.len}`);
    }
    this.len -= n;
    if (this.len === 0) this.ring.rewind();
    else this.ring.advance(n);
  }

  /** Drop everything (connection aborted). Keeps the capacity and the allocated memory. */
  clear(): void {
    this.len = 0;
    this.ring.rewind();
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.len) {
      throw new RangeError(`offset ${offset} outside [0, ${this.len}]`);
    }
  }
}

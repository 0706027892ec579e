/**
 * A growable ring of bytes: the storage under {@link SendBuffer} and {@link ReceiveBuffer}.
 *
 * It knows nothing of lengths or sequence numbers; its owner says which logical offsets hold live
 * data. Logical offset 0 is the oldest byte the owner still needs (SND.UNA for sending, the first
 * unread byte for receiving); {@link ByteRing.advance} moves it forward without copying.
 *
 * Memory is allocated on demand, doubling up to the owner's limit, so an idle connection with a
 * 4 MB buffer costs nothing and a busy one reaches a steady state with no allocation at all. Each
 * copy is one or two `TypedArray.set` calls (memcpy), never a loop over bytes.
 */

const EMPTY = new Uint8Array(0);

/** RFC 7323 §2.3: windows stay below 2^30, so no buffer needs more. */
export const MAX_BUFFER_CAPACITY = 2 ** 30;

/** @internal */
export function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_BUFFER_CAPACITY) {
    throw new RangeError(`buffer capacity must be an integer in [0, 2^30], got ${capacity}`);
  }
}

/** The first allocation: small enough that V8 keeps it on its own heap (typed arrays up to 64
 *  bytes, v8_typed_array_max_size_in_heap), so a short request or response costs no off-heap
 *  allocation; anything larger gets exactly what it needs, and bulk transfers double from there
 *  (a score of copies on the way to megabytes, at most twice the bytes). */
const MIN_ALLOCATION = 64;

/** @internal Shared by the buffers of this folder; not part of the connection's API. */
export class ByteRing {
  private buf: Uint8Array = EMPTY;
  /** Physical index of logical offset 0. */
  private head = 0;

  /** Bytes currently allocated (at most the limit the owner passes to {@link reserve}). */
  get allocated(): number {
    return this.buf.length;
  }

  /**
   * Make logical offsets [0, extent) addressable, keeping the first `live` bytes. Grows by
   * doubling (amortised O(1) per byte) but never beyond `limit`.
   */
  reserve(extent: number, live: number, limit: number): void {
    const size = this.buf.length;
    if (extent <= size) return;
    const grown = Math.min(limit, Math.max(extent, size * 2, MIN_ALLOCATION));
    this.reallocate(Math.max(grown, extent), live);
  }

  /** Reallocate to exactly `size` bytes (≥ live), keeping the first `live` bytes at offset 0. */
  reallocate(size: number, live: number): void {
    const next = size === 0 ? EMPTY : new Uint8Array(size);
    if (live > 0) this.read(0, next, 0, live);
    this.buf = next;
    this.head = 0;
  }

  /** Copy `length` bytes of `src` from `srcStart` into logical offsets [offset, offset+length). */
  write(offset: number, src: Uint8Array, srcStart: number, length: number): void {
    if (length === 0) return;
    const buf = this.buf;
    const size = buf.length;
    let p = this.head + offset;
    if (p >= size) p -= size;
    const first = size - p;
    if (length <= first) {
      // The common case: no wrap, and often the whole source (no view to create).
      buf.set(srcStart === 0 && length === src.length ? src : src.subarray(srcStart, srcStart + length), p);
    } else {
      buf.set(src.subarray(srcStart, srcStart + first), p);
      buf.set(src.subarray(srcStart + first, srcStart + length), 0);
    }
  }

  /** Copy logical offsets [offset, offset+length) into `dst` at `dstStart`. */
  read(offset: number, dst: Uint8Array, dstStart: number, length: number): void {
    if (length === 0) return;
    const buf = this.buf;
    const size = buf.length;
    let p = this.head + offset;
    if (p >= size) p -= size;
    const first = size - p;
    if (length <= first) {
      dst.set(buf.subarray(p, p + length), dstStart);
    } else {
      dst.set(buf.subarray(p, size), dstStart);
      dst.set(buf.subarray(0, length - first), dstStart + first);
    }
  }

  /** Views (no copy) of logical offsets [offset, offset+length): one, or two when it wraps. */
  views(offset: number, length: number): Uint8Array[] {
    if (length === 0) return [];
    const buf = this.buf;
    const size = buf.length;
    let p = this.head + offset;
    if (p >= size) p -= size;
    const first = size - p;
    if (length <= first) return [buf.subarray(p, p + length)];
    return [buf.subarray(p, size), buf.subarray(0, length - first)];
  }

  /** Forget the first `n` bytes: logical offset `n` becomes 0. */
  advance(n: number): void {
    const size = this.buf.length;
    if (size === 0) return;
    let h = this.head + n;
    if (h >= size) h -= size;
    this.head = h;
  }

  /** Nothing is live: restart at physical 0, so the next bytes are contiguous. */
  rewind(): void {
    this.head = 0;
  }
}

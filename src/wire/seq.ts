/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4: "all arithmetic dealing with
 * sequence numbers must be performed modulo 2**32"), in the style of RFC 1982 serial numbers and
 * Linux's `before()` / `after()`.
 *
 * A sequence number is a plain JS number in 0..2^32-1. Comparisons take the signed 32-bit
 * difference: `a` is before `b` when `(a - b) | 0 < 0`, i.e. when `b` is less than 2^31 ahead.
 * Two numbers exactly 2^31 apart are ambiguous (RFC 1982 §3.2 leaves them undefined); here, as
 * in Linux, each counts as before the other, which TCP never meets because windows stay below
 * 2^30 (RFC 7323 §2.3).
 */

/** (a + n) mod 2^32; `n` may be negative. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance a − b, as an int32: positive when `a` is after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a < b in sequence space (Linux `before(a, b)`). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a ≤ b in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b in sequence space (Linux `after(a, b)`). */
export function seqGt(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** a ≥ b in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((b - a) | 0) <= 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? b : a;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? a : b;
}

/**
 * Whether `x` lies in the window [start, start + length), the test RFC 9293 §3.10.7.4 writes as
 * `RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND`. An empty window contains nothing. Computed as an
 * unsigned offset from `start`, so it is exact for any length up to 2^32 − 1.
 */
export function seqInWindow(x: number, start: number, length: number): boolean {
  return ((x - start) >>> 0) < length;
}

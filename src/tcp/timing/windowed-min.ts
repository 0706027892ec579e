/**
 * A running minimum over a sliding time window, Kathleen Nichols' algorithm as Linux implements
 * it in lib/win_minmax.c (minmax_running_min). Linux tracks min RTT with it over
 * tcp_min_rtt_wlen (300 s), which is what `ss -i` prints as `minrtt`.
 *
 * It keeps the best, second-best and third-best samples of three sub-windows, so the minimum
 * can age out in O(1) time and memory: when the best sample leaves the window, the second
 * becomes the best, and so on.
 */

// The three samples as (time, value) pairs in one typed array, [t0, v0, t1, v1, t2, v2]: every
// RTT sample of every connection updates it, and sample objects allocated on each update.
const T0 = 0, V0 = 1, T1 = 2, V1 = 3, T2 = 4, V2 = 5;

export class WindowedMin {
  private readonly s = new Float64Array([0, Number.POSITIVE_INFINITY, 0, Number.POSITIVE_INFINITY, 0, Number.POSITIVE_INFINITY]);

  /** `window`: how long a sample stays eligible, in the same unit as the times passed in. */
  constructor(readonly window: number) {}

  /** The current windowed minimum, or `undefined` before the first sample. */
  get value(): number | undefined {
    const v = this.s[V0] as number;
    return v === Number.POSITIVE_INFINITY ? undefined : v;
  }

  /** Records `value` measured at time `t` (non-decreasing) and returns the new minimum. */
  update(t: number, value: number): number {
    const s = this.s;
    // A new minimum, or nothing left in the window: forget all earlier samples.
    if (value <= (s[V0] as number) || t - (s[T2] as number) > this.window) return this.reset(t, value);
    if (value <= (s[V1] as number)) {
      this.set(T1, t, value);
      this.set(T2, t, value);
    } else if (value <= (s[V2] as number)) {
      this.set(T2, t, value);
    }
    return this.subwindowUpdate(t, value);
  }

  /** Forgets everything but this one sample. */
  reset(t: number, value: number): number {
    this.set(T0, t, value);
    this.set(T1, t, value);
    this.set(T2, t, value);
    return value;
  }

  private set(at: number, t: number, value: number): void {
    this.s[at] = t;
    this.s[at + 1] = value;
  }

  /** Sample `from` moves to slot `to`. */
  private move(to: number, from: number): void {
    this.set(to, this.s[from] as number, this.s[from + 1] as number);
  }

  private subwindowUpdate(t: number, value: number): number {
    const s = this.s;
    const dt = t - (s[T0] as number);
    if (dt > this.window) {
      // The best sample aged out: promote the others (twice, if the second is stale too).
      this.move(T0, T1);
      this.move(T1, T2);
      this.set(T2, t, value);
      if (t - (s[T0] as number) > this.window) {
        this.move(T0, T1);
        this.move(T1, T2);
        this.set(T2, t, value);
      }
    } else if (s[T1] === s[T0] && dt > this.window / 4) {
      // A quarter of the window without a new second choice: take one from the second quarter.
      this.set(T1, t, value);
      this.set(T2, t, value);
    } else if (s[T2] === s[T1] && dt > this.window / 2) {
      // Half the window without a new third choice: take one from the second half.
      this.set(T2, t, value);
    }
    return s[V0] as number;
  }
}

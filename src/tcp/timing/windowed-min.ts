/**
 * A running minimum over a sliding time window, Kathleen Nichols' algorithm as Linux implements
 * it in lib/win_minmax.c (minmax_running_min). Linux tracks min RTT with it over
 * tcp_min_rtt_wlen (300 s), which is what `ss -i` prints as `minrtt`.
 *
 * It keeps the best, second-best and third-best samples of three sub-windows, so the minimum
 * can age out in O(1) time and memory: when the best sample leaves the window, the second
 * becomes the best, and so on.
 */

// The three samples as (time, value) pairs in plain numeric fields: every RTT sample of every
// connection updates them, and sample objects were allocated on each update.
export class WindowedMin {
  private t0 = 0;
  private v0 = Number.POSITIVE_INFINITY;
  private t1 = 0;
  private v1 = Number.POSITIVE_INFINITY;
  private t2 = 0;
  private v2 = Number.POSITIVE_INFINITY;

  /** `window`: how long a sample stays eligible, in the same unit as the times passed in. */
  constructor(readonly window: number) {}

  /** The current windowed minimum, or `undefined` before the first sample. */
  get value(): number | undefined {
    return this.v0 === Number.POSITIVE_INFINITY ? undefined : this.v0;
  }

  /** Records `value` measured at time `t` (non-decreasing) and returns the new minimum. */
  update(t: number, value: number): number {
    // A new minimum, or nothing left in the window: forget all earlier samples.
    if (value <= this.v0 || t - this.t2 > this.window) return this.reset(t, value);
    if (value <= this.v1) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = value;
    } else if (value <= this.v2) {
      this.t2 = t;
      this.v2 = value;
    }
    return this.subwindowUpdate(t, value);
  }

  /** Forgets everything but this one sample. */
  reset(t: number, value: number): number {
    this.t0 = this.t1 = this.t2 = t;
    this.v0 = this.v1 = this.v2 = value;
    return value;
  }

  /** The best sample aged out: the others move up, the new one comes third. */
  private promote(t: number, value: number): void {
    this.t0 = this.t1;
    this.v0 = this.v1;
    this.t1 = this.t2;
    this.v1 = this.v2;
    this.t2 = t;
    this.v2 = value;
  }

  private subwindowUpdate(t: number, value: number): number {
    const dt = t - this.t0;
    if (dt > this.window) {
      // Promote the others (twice, if the second is stale too).
      this.promote(t, value);
      if (t - this.t0 > this.window) this.promote(t, value);
    } else if (this.t1 === this.t0 && dt > this.window / 4) {
      // A quarter of the window without a new second choice: take one from the second quarter.
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = value;
    } else if (this.t2 === this.t1 && dt > this.window / 2) {
      // Half the window without a new third choice: take one from the second half.
      this.t2 = t;
      this.v2 = value;
    }
    return this.v0;
  }
}

/**
 * A running minimum over a sliding time window, Kathleen Nichols' algorithm as Linux implements
 * it in lib/win_minmax.c (minmax_running_min). Linux tracks min RTT with it over
 * tcp_min_rtt_wlen (300 s), which is what `ss -i` prints as `minrtt`.
 *
 * It keeps the best, second-best and third-best samples of three sub-windows, so the minimum
 * can age out in O(1) time and memory: when the best sample leaves the window, the second
 * becomes the best, and so on.
 */

interface Sample {
  t: number;
  v: number;
}

export class WindowedMin {
  private readonly s: [Sample, Sample, Sample];

  /** `window`: how long a sample stays eligible, in the same unit as the times passed in. */
  constructor(readonly window: number) {
    const none = { t: 0, v: Number.POSITIVE_INFINITY };
    this.s = [{ ...none }, { ...none }, { ...none }];
  }

  /** The current windowed minimum, or `undefined` before the first sample. */
  get value(): number | undefined {
    const v = this.s[0].v;
    return v === Number.POSITIVE_INFINITY ? undefined : v;
  }

  /** Records `value` measured at time `t` (non-decreasing) and returns the new minimum. */
  update(t: number, value: number): number {
    const s = this.s;
    // A new minimum, or nothing left in the window: forget all earlier samples.
    if (value <= s[0].v || t - s[2].t > this.window) return this.reset(t, value);
    if (value <= s[1].v) {
      s[1] = { t, v: value };
      s[2] = { t, v: value };
    } else if (value <= s[2].v) {
      s[2] = { t, v: value };
    }
    return this.subwindowUpdate(t, value);
  }

  /** Forgets everything but this one sample. */
  reset(t: number, value: number): number {
    this.s[0] = { t, v: value };
    this.s[1] = { t, v: value };
    this.s[2] = { t, v: value };
    return value;
  }

  private subwindowUpdate(t: number, value: number): number {
    const s = this.s;
    const dt = t - s[0].t;
    if (dt > this.window) {
      // The best sample aged out: promote the others (twice, if the second is stale too).
      s[0] = s[1];
      s[1] = s[2];
      s[2] = { t, v: value };
      if (t - s[0].t > this.window) {
        s[0] = s[1];
        s[1] = s[2];
        s[2] = { t, v: value };
      }
    } else if (s[1].t === s[0].t && dt > this.window / 4) {
      // A quarter of the window without a new second choice: take one from the second quarter.
      s[1] = { t, v: value };
      s[2] = { t, v: value };
    } else if (s[2].t === s[1].t && dt > this.window / 2) {
      // Half the window without a new third choice: take one from the second half.
      s[2] = { t, v: value };
    }
    return s[0].v;
  }
}

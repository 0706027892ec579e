// Clocks drive the sans-IO stack. The stack never reads time itself: the driver asks
// a Clock for `now()` and arms ONE timer for the earliest deadline of the whole stack.

export interface Clock {
  /** Milliseconds, monotonic, starting near 0. */
  now(): number;
  /** Call `fire` at `at` (ms, on this clock). Replaces any earlier arming. */
  arm(at: number, fire: () => void): void;
  disarm(): void;
}

/** Real time: performance.now() and one setTimeout. */
export class RealClock implements Clock {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly origin = performance.now();

  now(): number {
    return performance.now() - this.origin;
  }

  arm(at: number, fire: () => void): void {
    this.disarm();
    const delay = Math.max(0, at - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fire();
    }, delay);
    // A pending stack deadline alone must not keep the process alive.
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Virtual time for tests: nothing happens until `advance`/`advanceTo`, which fire the
 * armed timer at exactly its deadline, as often as the deadlines fall inside the step.
 */
export class VirtualClock implements Clock {
  private current: number;
  private deadline: number | undefined;
  private fire: (() => void) | undefined;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  arm(at: number, fire: () => void): void {
    this.deadline = at;
    this.fire = fire;
  }

  disarm(): void {
    this.deadline = undefined;
    this.fire = undefined;
  }

  /** The armed deadline, if any. */
  get nextDeadline(): number | undefined {
    return this.deadline;
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    if (target < this.current) throw new RangeError(`virtual time cannot go back (now ${this.current}, asked ${target})`);
    // Fire each deadline at its own time; a firing may arm the next one.
    for (let guard = 0; this.deadline !== undefined && this.deadline <= target; guard++) {
      if (guard > 10_000_000) throw new Error('virtual clock: a timer re-armed itself without advancing');
      this.current = Math.max(this.current, this.deadline);
      const fire = this.fire;
      this.disarm();
      fire?.();
    }
    this.current = target;
  }
}

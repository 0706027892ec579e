// Clocks drive the sans-IO stack. The stack never reads time itself: its driver asks a
// Clock for `now()` and keeps ONE timer, armed for the stack's earliest deadline.
// One clock can serve several drivers (two stacks in one virtual-time test).

export interface ClockTimer {
  /** Call `fire` at `at` (ms, on the clock). Replaces any earlier arming of this timer. */
  arm(at: number, fire: () => void): void;
  disarm(): void;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** A timer of this clock (a driver takes one). */
  timer(): ClockTimer;
}

/** Real time: performance.now() and setTimeout. */
export class RealClock implements Clock {
  private readonly origin = performance.now();

  now(): number {
    return performance.now() - this.origin;
  }

  timer(): ClockTimer {
    let handle: ReturnType<typeof setTimeout> | undefined;
    const disarm = (): void => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
    return {
      arm: (at, fire) => {
        disarm();
        handle = setTimeout(() => {
          handle = undefined;
          fire();
        }, Math.max(0, at - this.now()));
        // A pending stack deadline alone must not keep the process alive.
        handle.unref();
      },
      disarm,
    };
  }
}

interface VirtualTimer {
  at: number | undefined;
  fire: (() => void) | undefined;
  seq: number;
}

/**
 * Virtual time for tests: nothing happens until `advance`/`advanceTo`, which fire every armed
 * timer at exactly its deadline, in deadline order, as often as deadlines fall inside the step.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly timers = new Set<VirtualTimer>();
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  timer(): ClockTimer {
    const t: VirtualTimer = { at: undefined, fire: undefined, seq: 0 };
    this.timers.add(t);
    return {
      arm: (at, fire) => {
        t.at = at;
        t.fire = fire;
        t.seq = ++this.seq;
      },
      disarm: () => {
        t.at = undefined;
        t.fire = undefined;
      },
    };
  }

  /** The earliest armed deadline, if any. */
  get nextDeadline(): number | undefined {
    return this.earliest()?.at;
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    if (target < this.current) throw new RangeError(`virtual time cannot go back (now ${this.current}, asked ${target})`);
    for (let guard = 0; ; guard++) {
      if (guard > 10_000_000) throw new Error('virtual clock: a timer re-armed itself without advancing');
      const t = this.earliest();
      if (t === undefined || t.at === undefined || t.at > target) break;
      this.current = Math.max(this.current, t.at);
      const fire = t.fire;
      t.at = undefined;
      t.fire = undefined;
      fire?.();
    }
    this.current = target;
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (t.at === undefined) continue;
      if (!best || t.at < best.at! || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

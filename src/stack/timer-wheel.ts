// A hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels",
// SOSP 1987, scheme 7), laid out like Tokio's and Linux's: levels of 64 slots, level L's slots
// each spanning 64^L ms. One wheel holds every deadline of a stack, so the driver arms a single
// real timer on `nextDeadline()` (DESIGN.md principle 1).
//
// Exact, unlike Linux's timer wheel (which lets a timer fire up to 12.5% late so as never to
// cascade): an entry sits at the level given by the highest 6-bit digit in which its deadline's
// millisecond differs from the wheel's current millisecond; when time reaches the start of a
// slot above level 0, its entries move down a level ("cascade"), and a level-0 slot is one
// millisecond. So an entry fires at the first `advance(now)` with now ≥ deadline, never earlier,
// never later, and each entry moves at most once per level (9 levels of 6 bits cover 2^54 ms).
// Deadlines may be fractional: within the current millisecond each entry's own deadline is
// compared with `now`.
//
// Order: `advance` visits expired entries by deadline, and entries with equal deadlines in the
// order they were inserted (or last rescheduled), as a sorted queue would.

const LEVEL_BITS = 6;
const SLOTS_PER_LEVEL = 1 << LEVEL_BITS;
const LEVELS = 9;
/** SPAN[L] = 64^L: how many milliseconds one slot of level L covers. */
const SPAN: readonly number[] = Array.from({ length: LEVELS + 1 }, (_, level) => 2 ** (LEVEL_BITS * level));
const TWO_32 = 4294967296;

const IDLE = 0;
const SCHEDULED = 1;
/** Collected by `advance` and waiting for its turn to be visited; a cancel still stops it. */
const FIRING = 2;

/** A scheduled entry, as `insert` returns it: keep it to cancel or reschedule. */
export interface TimerHandle<T> {
  readonly deadline: number;
  readonly value: T;
  /** True from insert until it fires or is cancelled. */
  readonly pending: boolean;
}

class Entry<T> implements TimerHandle<T> {
  tick = 0;
  seq = 0;
  state = IDLE;
  slot: Slot<T> | undefined = undefined;
  prev: Entry<T> | undefined = undefined;
  next: Entry<T> | undefined = undefined;

  constructor(
    public deadline: number,
    readonly value: T,
  ) {}

  get pending(): boolean {
    return this.state !== IDLE;
  }
}

/** A doubly-linked list of entries with a cached earliest deadline. */
class Slot<T> {
  head: Entry<T> | undefined = undefined;
  count = 0;
  min = Infinity;
  /** The cached minimum left the slot (cancel, partial expiry): recompute on demand. */
  minStale = false;

  constructor(
    readonly level: number,
    readonly index: number,
  ) {}

  push(e: Entry<T>): void {
    e.slot = this;
    e.prev = undefined;
    e.next = this.head;
    if (this.head) this.head.prev = e;
    this.head = e;
    if (this.count++ === 0) {
      this.min = e.deadline;
      this.minStale = false;
    } else if (e.deadline < this.min) {
      this.min = e.deadline;
    }
  }

  unlink(e: Entry<T>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    e.prev = e.next = e.slot = undefined;
    if (--this.count === 0) {
      this.min = Infinity;
      this.minStale = false;
    } else if (e.deadline === this.min) {
      this.minStale = true;
    }
  }

  earliest(): number {
    if (this.minStale) {
      let min = Infinity;
      for (let e = this.head; e; e = e.next) if (e.deadline < min) min = e.deadline;
      this.min = min;
      this.minStale = false;
    }
    return this.min;
  }
}

function byDeadlineThenInsertion<T>(a: Entry<T>, b: Entry<T>): number {
  return a.deadline - b.deadline || a.seq - b.seq;
}

/** The lowest set bit of a 64-bit mask (lo, hi) at a position ≥ from, or -1. */
function firstSetFrom(lo: number, hi: number, from: number): number {
  if (from < 32) {
    const m = lo & (-1 << from);
    if (m !== 0) return 31 - Math.clz32(m & -m);
    if (hi !== 0) return 63 - Math.clz32(hi & -hi);
    return -1;
  }
  const m = hi & (-1 << (from - 32));
  return m !== 0 ? 63 - Math.clz32(m & -m) : -1;
}

/** The level at which `tick` waits when the wheel stands at `elapsed` (tick ≥ elapsed): the
 *  6-bit digit holding the highest bit in which they differ. */
function levelFor(elapsed: number, tick: number): number {
  const hi = (Math.floor(elapsed / TWO_32) ^ Math.floor(tick / TWO_32)) >>> 0;
  const bit = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(((elapsed >>> 0) ^ (tick >>> 0)) >>> 0);
  return bit < 0 ? 0 : Math.floor(bit / LEVEL_BITS);
}

function digit(tick: number, level: number): number {
  return Math.floor(tick / SPAN[level]) % SLOTS_PER_LEVEL;
}

export class TimerWheel<T> {
  /** The current millisecond: every entry in the wheel has tick ≥ elapsed. */
  private elapsed: number;
  private readonly levels: Slot<T>[][];
  private readonly occupiedLo = new Uint32Array(LEVELS);
  private readonly occupiedHi = new Uint32Array(LEVELS);
  /** Entries inserted with a deadline before the current millisecond: due at the next advance. */
  private readonly overdue = new Slot<T>(-1, 0);
  private nextSeq = 0;
  private count = 0;

  /** `now`: the time the wheel starts at, in ms (≥ 0). */
  constructor(now = 0) {
    if (!(now >= 0 && now <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`a timer wheel starts at a time in ms ≥ 0, got ${now}`);
    this.elapsed = Math.floor(now);
    this.levels = Array.from({ length: LEVELS }, (_, level) => Array.from({ length: SLOTS_PER_LEVEL }, (_, i) => new Slot<T>(level, i)));
  }

  get size(): number {
    return this.count;
  }

  /** Schedules `value` at `deadline` (ms; may be fractional, or already past). O(1). */
  insert(deadline: number, value: T): TimerHandle<T> {
    const e = new Entry(deadline, value);
    this.schedule(e, deadline);
    return e;
  }

  /** Moves a handle to a new deadline (Linux's mod_timer), pending or not; it then counts as
   *  inserted now for the order of equal deadlines. O(1). */
  reschedule(handle: TimerHandle<T>, deadline: number): void {
    const e = handle as Entry<T>;
    if (e.state === SCHEDULED) this.remove(e);
    else if (e.state === FIRING) e.state = IDLE;
    this.schedule(e, deadline);
  }

  /** Removes a pending entry; false if it had already fired or been cancelled. O(1). */
  cancel(handle: TimerHandle<T>): boolean {
    const e = handle as Entry<T>;
    if (e.state === SCHEDULED) {
      this.remove(e);
      e.state = IDLE;
      return true;
    }
    if (e.state === FIRING) {
      e.state = IDLE;
      return true;
    }
    return false;
  }

  /**
   * The earliest pending deadline, exactly, or undefined when the wheel is empty. Looks at one
   * slot: the lowest non-empty level's next slot, whose cached minimum is recomputed only after
   * its earliest entry was cancelled.
   */
  nextDeadline(): number | undefined {
    if (this.overdue.count > 0) return this.overdue.earliest();
    const found = this.firstOccupied();
    return found === undefined ? undefined : found.earliest();
  }

  /**
   * Expires every entry with deadline ≤ now and calls `visit` for each, in deadline order (ties
   * in insertion order). Entries are collected first and visited after: one that a visit cancels
   * is not visited; one that a visit inserts with a deadline ≤ now fires at the next advance
   * (`nextDeadline()` then says so). Returns how many were visited. A `now` earlier than a
   * previous one is allowed and only expires what is due by it.
   */
  advance(now: number, visit: (value: T, deadline: number) => void): number {
    if (Number.isNaN(now)) throw new RangeError('advance(now): now is NaN');
    const fired: Entry<T>[] = [];
    if (this.overdue.count > 0) this.takeDue(this.overdue, now, fired);
    const target = Math.floor(now);
    for (;;) {
      const slot = this.firstOccupied();
      if (slot === undefined) break;
      const level = slot.level;
      const start = Math.floor(this.elapsed / SPAN[level + 1]) * SPAN[level + 1] + slot.index * SPAN[level];
      if (start > target) break;
      this.elapsed = start;
      if (level > 0) {
        // Cascade: every entry of the slot now differs from `elapsed` in a lower digit only.
        let e = slot.head;
        while (e) {
          const next = e.next;
          this.unlinkFrom(slot, e);
          this.place(e);
          e = next;
        }
        continue;
      }
      this.takeDue(slot, now, fired);
      // Entries left in this millisecond are due after `now` (fractional deadlines).
      if (slot.count > 0) break;
    }
    if (target > this.elapsed) this.elapsed = target;
    let visited = 0;
    for (const e of fired) {
      if (e.state !== FIRING) continue;
      e.state = IDLE;
      visited++;
      visit(e.value, e.deadline);
    }
    return visited;
  }

  /** `advance` collecting the expired values into an array. */
  expire(now: number): T[] {
    const values: T[] = [];
    this.advance(now, (value) => values.push(value));
    return values;
  }

  // ------------------------------------------------------------------------------------------

  private schedule(e: Entry<T>, deadline: number): void {
    if (!(Math.abs(deadline) <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`a timer deadline must be a finite time in ms, got ${deadline}`);
    e.deadline = deadline;
    e.tick = Math.floor(deadline);
    e.seq = this.nextSeq++;
    e.state = SCHEDULED;
    this.count++;
    this.place(e);
  }

  private place(e: Entry<T>): void {
    if (e.tick < this.elapsed) {
      this.overdue.push(e);
      return;
    }
    const level = levelFor(this.elapsed, e.tick);
    const index = digit(e.tick, level);
    this.levels[level][index].push(e);
    if (index < 32) this.occupiedLo[level] |= 1 << index;
    else this.occupiedHi[level] |= 1 << (index - 32);
  }

  private remove(e: Entry<T>): void {
    this.unlinkFrom(e.slot!, e);
    this.count--;
  }

  private unlinkFrom(slot: Slot<T>, e: Entry<T>): void {
    slot.unlink(e);
    if (slot.count === 0 && slot.level >= 0) {
      if (slot.index < 32) this.occupiedLo[slot.level] &= ~(1 << slot.index);
      else this.occupiedHi[slot.level] &= ~(1 << (slot.index - 32));
    }
  }

  /** Moves the entries of `slot` due by `now` into `fired`, sorted. */
  private takeDue(slot: Slot<T>, now: number, fired: Entry<T>[]): void {
    const due: Entry<T>[] = [];
    let e = slot.head;
    while (e) {
      const next = e.next;
      if (e.deadline <= now) {
        this.unlinkFrom(slot, e);
        this.count--;
        e.state = FIRING;
        due.push(e);
      }
      e = next;
    }
    due.sort(byDeadlineThenInsertion);
    for (const d of due) fired.push(d);
  }

  /**
   * The next slot to look at: the lowest level holding anything, at or after the wheel's
   * position in that level. Entries of a lower level always come before those of a higher one
   * (they share more leading digits with `elapsed`), and no entry sits behind the position
   * because time never passes an occupied slot without emptying it.
   */
  private firstOccupied(): Slot<T> | undefined {
    for (let level = 0; level < LEVELS; level++) {
      const lo = this.occupiedLo[level];
      const hi = this.occupiedHi[level];
      if ((lo | hi) === 0) continue;
      const index = firstSetFrom(lo, hi, digit(this.elapsed, level));
      if (index < 0) throw new Error(`timer wheel invariant broken: level ${level} holds entries behind its position`);
      return this.levels[level][index];
    }
    return undefined;
  }
}

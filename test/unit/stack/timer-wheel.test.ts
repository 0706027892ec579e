import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerWheel, type TimerHandle } from '../../../src/stack/timer-wheel.js';

/** The reference: every pending entry in an array, expired by sorting. */
class SortedModel {
  private entries: { deadline: number; seq: number; id: number }[] = [];
  private seq = 0;
  insert(deadline: number, id: number): void {
    this.entries.push({ deadline, seq: this.seq++, id });
  }
  cancel(id: number): boolean {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
  reschedule(id: number, deadline: number): void {
    this.cancel(id);
    this.insert(deadline, id);
  }
  advance(now: number): number[] {
    const due = this.entries.filter((e) => e.deadline <= now).sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
    this.entries = this.entries.filter((e) => e.deadline > now);
    return due.map((e) => e.id);
  }
  next(): number | undefined {
    return this.entries.length === 0 ? undefined : Math.min(...this.entries.map((e) => e.deadline));
  }
  get size(): number {
    return this.entries.length;
  }
}

type Op =
  | { kind: 'insert'; offset: number; fraction: boolean }
  | { kind: 'cancel'; pick: number }
  | { kind: 'reschedule'; pick: number; offset: number }
  | { kind: 'advance'; by: number };

const offsetArb = fc.oneof(
  fc.integer({ min: -5_000, max: 5_000 }),
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: 10 * 3_600_000 }), // hours ahead
  fc.integer({ min: 0, max: 2 ** 40 }), // decades ahead
  fc.constantFrom(0, 1, 63, 64, 65, 4095, 4096, 4097, 60_000),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), offset: offsetArb, fraction: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reschedule' as const), pick: fc.nat(), offset: offsetArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      by: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 5, noNaN: true }), fc.integer({ min: 0, max: 20 * 3_600_000 }), fc.integer({ min: -50, max: 0 })),
    }),
  },
);

describe('TimerWheel', () => {
  it('expires the same entries at the same now as a sorted array, and agrees on nextDeadline', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.array(opArb, { maxLength: 120 }), (start, ops) => {
        const wheel = new TimerWheel<number>(start);
        const model = new SortedModel();
        const handles: { id: number; handle: TimerHandle<number> }[] = [];
        let now = start;
        let id = 0;
        for (const op of ops) {
          if (op.kind === 'insert') {
            const deadline = now + op.offset + (op.fraction ? 0.25 : 0);
            handles.push({ id, handle: wheel.insert(deadline, id) });
            model.insert(deadline, id);
            id++;
          } else if (op.kind === 'cancel' && handles.length > 0) {
            const h = handles[op.pick % handles.length];
            expect(wheel.cancel(h.handle)).toBe(model.cancel(h.id));
          } else if (op.kind === 'reschedule' && handles.length > 0) {
            const h = handles[op.pick % handles.length];
            wheel.reschedule(h.handle, now + op.offset);
            model.reschedule(h.id, now + op.offset);
          } else if (op.kind === 'advance') {
            now += op.by;
            expect(wheel.expire(now)).toEqual(model.advance(now));
          }
          expect(wheel.nextDeadline()).toBe(model.next());
          expect(wheel.size).toBe(model.size);
        }
        // Drain: jumping to each next deadline fires exactly what the model fires there.
        for (let guard = 0; guard < 1000; guard++) {
          const next = wheel.nextDeadline();
          expect(next).toBe(model.next());
          if (next === undefined) break;
          now = Math.max(now, next);
          expect(wheel.expire(now)).toEqual(model.advance(now));
        }
        expect(wheel.size).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('is exact: an entry due at 60 000 is not expired at 59 999 and is at 60 000', () => {
    const wheel = new TimerWheel<string>();
    wheel.insert(60_000, 'time-wait');
    expect(wheel.nextDeadline()).toBe(60_000);
    expect(wheel.expire(59_999)).toEqual([]);
    expect(wheel.expire(59_999.999)).toEqual([]);
    expect(wheel.nextDeadline()).toBe(60_000);
    expect(wheel.expire(60_000)).toEqual(['time-wait']);
    expect(wheel.nextDeadline()).toBeUndefined();
  });

  it('is exact for fractional deadlines within the current millisecond', () => {
    const wheel = new TimerWheel<string>();
    wheel.insert(100.75, 'b');
    wheel.insert(100.25, 'a');
    expect(wheel.expire(100.5)).toEqual(['a']);
    expect(wheel.nextDeadline()).toBe(100.75);
    expect(wheel.expire(100.75)).toEqual(['b']);
  });

  it('orders equal deadlines by insertion, even when they reached the slot by different levels', () => {
    const wheel = new TimerWheel<string>();
    wheel.insert(5_000, 'first'); // far: waits at a high level, cascades down
    wheel.expire(4_990);
    wheel.insert(5_000, 'second'); // near: goes straight to level 0
    wheel.insert(4_999, 'earlier');
    expect(wheel.expire(5_000)).toEqual(['earlier', 'first', 'second']);
  });

  it('handles deadlines hours and years ahead and jumps over empty time at once', () => {
    const wheel = new TimerWheel<number>();
    const hours = [2, 7, 24 * 365 * 30].map((h) => h * 3_600_000);
    for (const d of hours) wheel.insert(d, d);
    expect(wheel.nextDeadline()).toBe(hours[0]);
    expect(wheel.expire(hours[0] - 1)).toEqual([]);
    expect(wheel.expire(hours[1])).toEqual([hours[0], hours[1]]);
    expect(wheel.nextDeadline()).toBe(hours[2]);
    expect(wheel.expire(hours[2])).toEqual([hours[2]]);
  });

  it('fires deadlines in the past at the next advance, before later ones', () => {
    const wheel = new TimerWheel<string>(10_000);
    wheel.insert(10_005, 'soon');
    wheel.insert(9_000, 'late');
    wheel.insert(-3, 'very-late');
    expect(wheel.nextDeadline()).toBe(-3);
    expect(wheel.expire(10_000)).toEqual(['very-late', 'late']);
    expect(wheel.expire(10_005)).toEqual(['soon']);
  });

  it('does not visit an entry that an earlier visit cancels, and defers what a visit inserts', () => {
    const wheel = new TimerWheel<string>();
    const seen: string[] = [];
    let victim: TimerHandle<string> | undefined;
    wheel.insert(10, 'killer');
    victim = wheel.insert(11, 'victim');
    const visited = wheel.advance(20, (value) => {
      seen.push(value);
      if (value === 'killer' && victim) {
        expect(wheel.cancel(victim)).toBe(true);
        victim = undefined;
        wheel.insert(15, 're-armed');
      }
    });
    expect(visited).toBe(1);
    expect(seen).toEqual(['killer']);
    expect(wheel.nextDeadline()).toBe(15);
    expect(wheel.expire(20)).toEqual(['re-armed']);
  });

  it('does not fire an entry that an earlier visit rescheduled, and fires it at its new time', () => {
    const wheel = new TimerWheel<string>();
    let other: TimerHandle<string> | undefined;
    wheel.insert(1, 'first');
    other = wheel.insert(2, 'second');
    const seen: string[] = [];
    wheel.advance(5, (value) => {
      seen.push(value);
      if (other) wheel.reschedule(other, 50);
      other = undefined;
    });
    expect(seen).toEqual(['first']);
    expect(wheel.nextDeadline()).toBe(50);
    expect(wheel.expire(49)).toEqual([]);
    expect(wheel.expire(50)).toEqual(['second']);
  });

  it('starts at a wall-clock-like time and keeps exactness there', () => {
    const start = 1_763_776_000_000; // Date.now() in late 2025
    const wheel = new TimerWheel<string>(start);
    wheel.insert(start + 60_000, 'tw');
    wheel.insert(start + 200, 'delack');
    expect(wheel.expire(start + 199)).toEqual([]);
    expect(wheel.expire(start + 200)).toEqual(['delack']);
    expect(wheel.expire(start + 59_999)).toEqual([]);
    expect(wheel.expire(start + 60_000)).toEqual(['tw']);
  });

  it('reports pending and refuses to cancel twice', () => {
    const wheel = new TimerWheel<number>();
    const h = wheel.insert(5, 1);
    expect(h.pending).toBe(true);
    expect(wheel.cancel(h)).toBe(true);
    expect(h.pending).toBe(false);
    expect(wheel.cancel(h)).toBe(false);
    wheel.reschedule(h, 7);
    expect(wheel.expire(7)).toEqual([1]);
    expect(wheel.cancel(h)).toBe(false);
  });

  it('refuses non-finite deadlines', () => {
    const wheel = new TimerWheel<number>();
    expect(() => wheel.insert(Infinity, 1)).toThrow(RangeError);
    expect(() => wheel.insert(NaN, 1)).toThrow(RangeError);
  });

  it('expires 200 000 entries spread over 60 s in deadline order', () => {
    const wheel = new TimerWheel<number>();
    for (let i = 0; i < 200_000; i++) wheel.insert((i * 7919) % 60_000, i);
    let last = -1;
    let n = 0;
    let outOfOrder = 0;
    for (let now = 0; now <= 60_000; now += 1000) {
      wheel.advance(now, (_v, d) => {
        if (d < last) outOfOrder++;
        last = d;
        n++;
      });
    }
    expect(outOfOrder).toBe(0);
    expect(n).toBe(200_000);
  });
});

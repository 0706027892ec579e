import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, seqMin } from '../../../src/wire/index.js';

const seq = fc.integer({ min: 0, max: 0xffffffff });
/** A distance that keeps comparisons unambiguous (RFC 1982 §3.2: less than 2^31). */
const distance = fc.integer({ min: 1, max: 0x7fffffff });

describe('sequence numbers modulo 2^32 (RFC 9293 §3.4)', () => {
  it('wraps: 0xffffffff is before 0, and 0 after it', () => {
    expect(seqLt(0xffffffff, 0)).toBe(true);
    expect(seqGt(0, 0xffffffff)).toBe(true);
    expect(seqLt(0, 0xffffffff)).toBe(false);
    expect(seqLe(0xfffffff0, 0x10)).toBe(true);
    expect(seqGe(0x10, 0xfffffff0)).toBe(true);
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
    expect(seqDiff(0, 0xffffffff)).toBe(1);
    expect(seqDiff(0xffffffff, 0)).toBe(-1);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqMax(0xffffffff, 5)).toBe(5);
    expect(seqMin(0xffffffff, 5)).toBe(0xffffffff);
  });

  it('equal numbers are neither before nor after each other', () => {
    expect(seqLt(7, 7)).toBe(false);
    expect(seqGt(7, 7)).toBe(false);
    expect(seqLe(7, 7)).toBe(true);
    expect(seqGe(7, 7)).toBe(true);
  });

  it('half the space apart is ambiguous, as in Linux before()/after()', () => {
    expect(seqLt(0, 0x80000000)).toBe(true);
    expect(seqLt(0x80000000, 0)).toBe(true);
  });

  it('windows include their start, exclude their end, and wrap', () => {
    expect(seqInWindow(100, 100, 10)).toBe(true);
    expect(seqInWindow(109, 100, 10)).toBe(true);
    expect(seqInWindow(110, 100, 10)).toBe(false);
    expect(seqInWindow(99, 100, 10)).toBe(false);
    expect(seqInWindow(100, 100, 0)).toBe(false);
    expect(seqInWindow(2, 0xfffffffe, 8)).toBe(true);
    expect(seqInWindow(0xfffffffd, 0xfffffffe, 8)).toBe(false);
    // The largest window holds everything but the number just before its start.
    expect(seqInWindow(0xfffffffc, 0xfffffffe, 0xffffffff)).toBe(true);
    expect(seqInWindow(0xfffffffd, 0xfffffffe, 0xffffffff)).toBe(false);
  });

  it('a + d is after a for any d < 2^31, and the distance comes back', () => {
    fc.assert(
      fc.property(seq, distance, (a, d) => {
        const b = seqAdd(a, d);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(0xffffffff);
        expect(seqLt(a, b)).toBe(true);
        expect(seqGt(b, a)).toBe(true);
        expect(seqLe(a, b)).toBe(true);
        expect(seqGe(a, b)).toBe(false);
        expect(seqDiff(b, a)).toBe(d);
        expect(seqDiff(a, b)).toBe(-d);
        expect(seqMax(a, b)).toBe(b);
        expect(seqMin(a, b)).toBe(a);
        expect(seqAdd(b, -d)).toBe(a);
      }),
    );
  });

  it('seqInWindow(x, start, len) ⇔ start ≤ x < start + len', () => {
    fc.assert(
      fc.property(seq, fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: -0x7fffffff, max: 0x7fffffff }), (start, length, offset) => {
        const x = seqAdd(start, offset);
        expect(seqInWindow(x, start, length)).toBe(offset >= 0 && offset < length);
        if (length > 0 && offset >= 0 && offset < length) {
          expect(seqGe(x, start) && seqLt(x, seqAdd(start, length))).toBe(true);
        }
      }),
    );
  });

  it('comparisons are antisymmetric away from the ambiguous point', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        fc.pre(seqDiff(a, b) !== -0x80000000);
        expect(seqLt(a, b)).toBe(seqGt(b, a));
        expect(seqLt(a, b) && seqLt(b, a)).toBe(false);
        expect(seqLe(a, b)).toBe(seqLt(a, b) || a === b);
      }),
    );
  });
});

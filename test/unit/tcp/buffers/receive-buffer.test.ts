import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceiveBuffer } from '../../../../src/tcp/buffers/receive-buffer.js';
import { seqAdd } from '../../../../src/wire/seq.js';

/** Bytes recognisable by position: byte i of the stream is `(i * 7 + 3) & 0xff`. */
function stream(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

const S = stream(4096);

/** Insert stream bytes [from, to) of S, the stream starting at sequence number `base`. */
function put(b: ReceiveBuffer, base: number, from: number, to: number, src: Uint8Array = S) {
  const r = b.insert(seqAdd(base, from), src.subarray(from, to));
  return { ...r };
}

describe('ReceiveBuffer: in-order data', () => {
  it('starts empty at RCV.NXT with the whole capacity as window', () => {
    const b = new ReceiveBuffer(1000, 5000);
    expect(b.rcvNxt).toBe(5000);
    expect(b.readable).toBe(0);
    expect(b.window()).toBe(1000);
    expect(b.hasOutOfOrder).toBe(false);
    expect(b.allocated).toBe(0);
    expect(b.read()).toEqual(new Uint8Array(0));
  });

  it('rejects a bad capacity or maxRanges', () => {
    expect(() => new ReceiveBuffer(-1)).toThrow(RangeError);
    expect(() => new ReceiveBuffer(2 ** 30 + 1)).toThrow(RangeError);
    expect(() => new ReceiveBuffer(10, 0, { maxRanges: 0 })).toThrow(RangeError);
  });

  it('in-order data advances RCV.NXT and becomes readable; reading opens the window', () => {
    const b = new ReceiveBuffer(1000, 100);
    expect(put(b, 100, 0, 300)).toEqual({ accepted: 300, advanced: 300, duplicate: null, beyondWindow: 0, dropped: 0, evicted: 0 });
    expect(b.rcvNxt).toBe(400);
    expect(b.readable).toBe(300);
    expect(b.window()).toBe(700);
    expect(b.read(100)).toEqual(S.subarray(0, 100));
    expect(b.window()).toBe(800);
    const target = new Uint8Array(500);
    expect(b.readInto(target, 10)).toBe(200);
    expect(target.subarray(10, 210)).toEqual(S.subarray(100, 300));
    expect(b.readable).toBe(0);
    expect(b.window()).toBe(1000);
  });

  it('read(max) and readInto stop at what the target or max allows', () => {
    const b = new ReceiveBuffer(100, 0);
    put(b, 0, 0, 50);
    expect(b.read(0)).toEqual(new Uint8Array(0));
    expect(b.read(-3)).toEqual(new Uint8Array(0));
    const small = new Uint8Array(20);
    expect(b.readInto(small)).toBe(20);
    expect(small).toEqual(S.subarray(0, 20));
    expect(b.readInto(small, 20)).toBe(0);
    expect(() => b.readInto(small, 21)).toThrow(RangeError);
    expect(b.read(1000)).toEqual(S.subarray(20, 50));
  });

  it('a zero-length segment changes nothing, wherever it lies', () => {
    const b = new ReceiveBuffer(100, 0);
    for (const seq of [0, 50, 1000, 0xffffff00]) {
      expect(b.insert(seq, new Uint8Array(0))).toMatchObject({ accepted: 0, advanced: 0, duplicate: null, beyondWindow: 0 });
    }
    expect(b.rcvNxt).toBe(0);
    expect(b.allocated).toBe(0);
  });

  it('reset starts over at a new RCV.NXT (the SYN: IRS + 1)', () => {
    const b = new ReceiveBuffer(100, 0);
    put(b, 0, 0, 10);
    put(b, 0, 20, 30);
    b.reset(777);
    expect(b.rcvNxt).toBe(777);
    expect(b.readable).toBe(0);
    expect(b.hasOutOfOrder).toBe(false);
    expect(b.outOfOrderBytes).toBe(0);
    put(b, 777, 0, 5);
    expect(b.read()).toEqual(S.subarray(0, 5));
  });
});

describe('ReceiveBuffer: old data and the window (RFC 9293 §3.10.7.4)', () => {
  it('a segment wholly below RCV.NXT is a duplicate: nothing stored, reported for D-SACK', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 0, 100);
    expect(put(b, 0, 10, 50)).toMatchObject({ accepted: 0, advanced: 0, duplicate: { left: 10, right: 50 } });
    expect(put(b, 0, 0, 100)).toMatchObject({ accepted: 0, duplicate: { left: 0, right: 100 } });
    expect(b.readable).toBe(100);
  });

  it('a segment straddling RCV.NXT: only the new part is processed', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 0, 100);
    expect(put(b, 0, 60, 150)).toMatchObject({ accepted: 50, advanced: 50, duplicate: { left: 60, right: 100 } });
    expect(b.read()).toEqual(S.subarray(0, 150));
  });

  it('trims what lies beyond the window, and counts it', () => {
    const b = new ReceiveBuffer(100, 0);
    expect(put(b, 0, 0, 150)).toMatchObject({ accepted: 100, advanced: 100, beyondWindow: 50 });
    expect(b.window()).toBe(0);
    // Zero window: a probe's byte is beyond it.
    expect(put(b, 0, 100, 101)).toMatchObject({ accepted: 0, advanced: 0, beyondWindow: 1 });
    b.read(30);
    expect(b.window()).toBe(30);
    expect(put(b, 0, 100, 200)).toMatchObject({ accepted: 30, advanced: 30, beyondWindow: 70 });
    // Out of order, straddling the right edge.
    b.read(100);
    expect(put(b, 0, 180, 260)).toMatchObject({ accepted: 50, advanced: 0, beyondWindow: 30 });
    expect(b.outOfOrderBlocks()).toEqual([{ left: 180, right: 230 }]);
    // Wholly beyond the right edge.
    expect(put(b, 0, 230, 240)).toMatchObject({ accepted: 0, beyondWindow: 10 });
    expect(b.allocated).toBeLessThanOrEqual(100);
  });

  it('held data does not shrink the window; the right edge never moves left', () => {
    const b = new ReceiveBuffer(100, 0);
    put(b, 0, 50, 80);
    expect(b.window()).toBe(100);
    put(b, 0, 0, 10);
    expect(b.window()).toBe(90);
    expect(b.rcvNxt + b.window()).toBe(100);
    put(b, 0, 10, 50);
    expect(b.rcvNxt).toBe(80);
    expect(b.rcvNxt + b.window()).toBe(100);
  });
});

describe('ReceiveBuffer: reassembly', () => {
  it('holds out-of-order data until the gap fills, then delivers it in order', () => {
    const b = new ReceiveBuffer(1000, 0);
    expect(put(b, 0, 100, 200)).toMatchObject({ accepted: 100, advanced: 0 });
    expect(b.readable).toBe(0);
    expect(b.hasOutOfOrder).toBe(true);
    expect(b.outOfOrderBytes).toBe(100);
    expect(b.rcvNxt).toBe(0);
    expect(put(b, 0, 0, 100)).toMatchObject({ accepted: 100, advanced: 200 });
    expect(b.rcvNxt).toBe(200);
    expect(b.hasOutOfOrder).toBe(false);
    expect(b.outOfOrderBytes).toBe(0);
    expect(b.read()).toEqual(S.subarray(0, 200));
  });

  it('fills several gaps in any order', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 300, 400);
    put(b, 0, 100, 200);
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 100, right: 200 },
      { left: 300, right: 400 },
    ]);
    expect(put(b, 0, 200, 300)).toMatchObject({ accepted: 100, advanced: 0 });
    expect(b.outOfOrderBlocks()).toEqual([{ left: 100, right: 400 }]);
    expect(put(b, 0, 0, 100)).toMatchObject({ accepted: 100, advanced: 400 });
    expect(b.read()).toEqual(S.subarray(0, 400));
  });

  it('merges adjacent ranges on either side', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 200);
    expect(put(b, 0, 200, 250)).toMatchObject({ accepted: 50, duplicate: null });
    expect(put(b, 0, 50, 100)).toMatchObject({ accepted: 50, duplicate: null });
    expect(b.outOfOrderBlocks()).toEqual([{ left: 50, right: 250 }]);
  });

  it('overlap with the left side of a held range: only the new bytes are stored', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 200);
    expect(put(b, 0, 50, 150)).toMatchObject({ accepted: 50, duplicate: { left: 100, right: 150 } });
    expect(b.outOfOrderBlocks()).toEqual([{ left: 50, right: 200 }]);
    expect(b.outOfOrderBytes).toBe(150);
  });

  it('overlap with the right side of a held range', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 200);
    expect(put(b, 0, 150, 260)).toMatchObject({ accepted: 60, duplicate: { left: 150, right: 200 } });
    expect(b.outOfOrderBlocks()).toEqual([{ left: 100, right: 260 }]);
  });

  it('a segment covering several held ranges fills every gap and merges them all', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 120);
    put(b, 0, 140, 160);
    put(b, 0, 180, 200);
    put(b, 0, 300, 310);
    expect(put(b, 0, 90, 210)).toMatchObject({ accepted: 60, advanced: 0, duplicate: { left: 100, right: 120 } });
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 90, right: 210 },
      { left: 300, right: 310 },
    ]);
    expect(b.outOfOrderBytes).toBe(130);
    put(b, 0, 0, 90);
    put(b, 0, 210, 300);
    expect(b.read()).toEqual(S.subarray(0, 310));
  });

  it('a duplicate inside a held range stores nothing', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 200);
    expect(put(b, 0, 120, 180)).toMatchObject({ accepted: 0, advanced: 0, duplicate: { left: 120, right: 180 } });
    expect(put(b, 0, 100, 200)).toMatchObject({ accepted: 0, duplicate: { left: 100, right: 200 } });
    expect(b.outOfOrderBytes).toBe(100);
  });

  it('an in-order segment reaching into held data: duplicate reported, RCV.NXT jumps', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 100, 200);
    expect(put(b, 0, 0, 150)).toMatchObject({ accepted: 100, advanced: 200, duplicate: { left: 100, right: 150 } });
  });

  it('below RCV.NXT and into held data: the lower duplicate run is the one reported', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 0, 100);
    put(b, 0, 150, 200);
    expect(put(b, 0, 50, 180)).toMatchObject({ accepted: 50, advanced: 100, duplicate: { left: 50, right: 100 } });
    expect(b.rcvNxt).toBe(200);
  });

  it('first copy wins: retransmitted bytes that differ are ignored, in order and out of order', () => {
    const b = new ReceiveBuffer(1000, 0);
    const other = S.map((x) => x ^ 0xff);
    put(b, 0, 100, 200);
    put(b, 0, 50, 250, other); // overlaps the held range on both sides
    put(b, 0, 0, 10);
    put(b, 0, 0, 60, other); // overlaps delivered data
    const got = b.read();
    expect(got.subarray(0, 10)).toEqual(S.subarray(0, 10));
    expect(got.subarray(10, 100)).toEqual(other.subarray(10, 100));
    expect(got.subarray(100, 200)).toEqual(S.subarray(100, 200));
    expect(got.subarray(200, 250)).toEqual(other.subarray(200, 250));
  });

  it('works across the 2^32 wrap', () => {
    const base = 0xffffff00;
    const b = new ReceiveBuffer(2000, base);
    put(b, base, 300, 400); // seq 0x0000002c..: past the wrap
    put(b, base, 200, 260); // straddles the wrap at offset 256
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 0xffffffc8, right: 4 },
      { left: 44, right: 144 },
    ]);
    expect(put(b, base, 0, 200)).toMatchObject({ accepted: 200, advanced: 260 });
    expect(b.rcvNxt).toBe(4);
    expect(put(b, base, 100, 280)).toMatchObject({ accepted: 20, advanced: 20, duplicate: { left: 0xffffff64, right: 4 } });
    put(b, base, 280, 300);
    expect(b.rcvNxt).toBe(144);
    expect(b.read()).toEqual(S.subarray(0, 400));
  });

  it('a segment sequence number 2^31 away is old, never accepted', () => {
    const b = new ReceiveBuffer(1000, 0x10);
    const r = put(b, seqAdd(0x10, 0x80000000), 0, 10);
    expect(r.accepted).toBe(0);
    expect(b.rcvNxt).toBe(0x10);
  });
});

describe('ReceiveBuffer: SACK blocks (RFC 2018 §4)', () => {
  it('the block holding the most recent segment comes first, then by recency', () => {
    const b = new ReceiveBuffer(10_000, 0);
    put(b, 0, 100, 200); // A
    put(b, 0, 300, 400); // B
    put(b, 0, 500, 600); // C
    put(b, 0, 700, 800); // D
    put(b, 0, 900, 1000); // E
    expect(b.sackBlocks(4)).toEqual([
      { left: 900, right: 1000 },
      { left: 700, right: 800 },
      { left: 500, right: 600 },
      { left: 300, right: 400 },
    ]);
    // A duplicate of A's data makes A the most recent again.
    put(b, 0, 120, 130);
    expect(b.sackBlocks(3)).toEqual([
      { left: 100, right: 200 },
      { left: 900, right: 1000 },
      { left: 700, right: 800 },
    ]);
    // Filling B..C merges them; the merged block is the most recent.
    put(b, 0, 400, 500);
    expect(b.sackBlocks(2)).toEqual([
      { left: 300, right: 600 },
      { left: 100, right: 200 },
    ]);
    expect(b.sackBlocks(0)).toEqual([]);
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 100, right: 200 },
      { left: 300, right: 600 },
      { left: 700, right: 800 },
      { left: 900, right: 1000 },
    ]);
  });

  it('no SACK blocks when nothing is held', () => {
    const b = new ReceiveBuffer(1000, 0);
    put(b, 0, 0, 10);
    expect(b.sackBlocks()).toEqual([]);
    expect(b.outOfOrderBlocks()).toEqual([]);
  });
});

describe('ReceiveBuffer: bounds', () => {
  it('with maxRanges held, a new highest range is dropped', () => {
    const b = new ReceiveBuffer(1000, 0, { maxRanges: 2 });
    put(b, 0, 10, 20);
    put(b, 0, 30, 40);
    expect(put(b, 0, 50, 60)).toMatchObject({ accepted: 0, dropped: 10, evicted: 0 });
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 10, right: 20 },
      { left: 30, right: 40 },
    ]);
    // Merging needs no new range.
    expect(put(b, 0, 40, 45)).toMatchObject({ accepted: 5, dropped: 0 });
    // In-order data needs none either.
    expect(put(b, 0, 0, 5)).toMatchObject({ accepted: 5, advanced: 5, dropped: 0 });
  });

  it('with maxRanges held, a lower new range evicts the highest (Linux prunes from the top)', () => {
    const b = new ReceiveBuffer(1000, 0, { maxRanges: 2 });
    put(b, 0, 30, 40);
    put(b, 0, 50, 60);
    expect(put(b, 0, 10, 20)).toMatchObject({ accepted: 10, dropped: 0, evicted: 10 });
    expect(b.outOfOrderBlocks()).toEqual([
      { left: 10, right: 20 },
      { left: 30, right: 40 },
    ]);
    expect(b.outOfOrderBytes).toBe(20);
  });

  it('setCapacity grows the window, and shrinks no lower than the stored data', () => {
    const b = new ReceiveBuffer(100, 0);
    put(b, 0, 0, 30);
    put(b, 0, 50, 60);
    expect(b.setCapacity(200)).toBe(200);
    expect(b.window()).toBe(170);
    expect(b.setCapacity(10)).toBe(60);
    expect(b.window()).toBe(30);
    expect(b.allocated).toBeLessThanOrEqual(60);
    put(b, 0, 30, 50);
    expect(b.read()).toEqual(S.subarray(0, 60));
    expect(() => b.setCapacity(-1)).toThrow(RangeError);
  });

  it('memory grows on demand and never beyond the capacity', () => {
    const b = new ReceiveBuffer(300_000, 0);
    const big = stream(300_000);
    put(b, 0, 0, 100, big);
    expect(b.allocated).toBeLessThan(300_000);
    put(b, 0, 250_000, 300_000, big); // out of order, far ahead: grows, keeps the in-order data
    expect(b.allocated).toBe(300_000);
    put(b, 0, 100, 250_000, big);
    expect(Buffer.from(b.read()).equals(big)).toBe(true);
  });
});

describe('ReceiveBuffer: any arrival order delivers the stream once and in order', () => {
  it('random segments, permuted, duplicated and overlapping, with random reads', () => {
    const scenario = fc
      .record({
        length: fc.integer({ min: 1, max: 3000 }),
        base: fc.oneof(fc.constant(0xffffffff - 1500), fc.integer({ min: 0, max: 0xffffffff })),
        capacity: fc.integer({ min: 1, max: 4000 }),
        maxRanges: fc.integer({ min: 1, max: 16 }),
        cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        extra: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 600 })), { maxLength: 20 }),
        reads: fc.array(fc.integer({ min: 0, max: 800 }), { maxLength: 100 }),
        seed: fc.integer(),
      })
      .chain((s) => {
        // Segments tiling the stream, plus random overlapping extras; then a shuffled schedule
        // with duplicates.
        const points = [...new Set([0, s.length, ...s.cuts.map((c) => Math.floor(c * s.length))])].sort((a, b) => a - b);
        const segs: [number, number][] = [];
        for (let i = 1; i < points.length; i++) segs.push([points[i - 1]!, points[i]!]);
        for (const [at, len] of s.extra) {
          const from = Math.floor(at * s.length);
          segs.push([from, Math.min(s.length, from + len)]);
        }
        return fc.record({
          s: fc.constant(s),
          schedule: fc.shuffledSubarray([...segs, ...segs, ...segs], { minLength: 0 }),
        });
      });

    fc.assert(
      fc.property(scenario, ({ s, schedule }) => {
        const data = stream(s.length);
        const b = new ReceiveBuffer(s.capacity, s.base, { maxRanges: s.maxRanges });
        const out: Uint8Array[] = [];
        let delivered = 0;
        // What the buffer holds, by stream offset: the reference model.
        const have = new Uint8Array(s.length);
        let accepted = 0;
        let evicted = 0;
        let readAt = 0;
        const deliver = (max: number) => {
          const got = b.read(max);
          out.push(got);
          delivered += got.length;
        };
        const send = ([from, to]: [number, number], check = true) => {
          if (from >= to) return;
          if (!check) {
            const r = b.insert(seqAdd(s.base, from), data.subarray(from, to));
            accepted += r.accepted;
            evicted += r.evicted;
            return;
          }
          const nxtOff = (b.rcvNxt - s.base) >>> 0;
          const win = b.window();
          // The expected duplicate: the lowest run of already-received bytes in the segment.
          let dupFrom = -1;
          let dupTo = -1;
          for (let i = from; i < to; i++) {
            const old = i < nxtOff || (have[i] === 1 && i < nxtOff + win);
            if (old && dupFrom < 0) dupFrom = i;
            if (!old && dupFrom >= 0) {
              dupTo = i;
              break;
            }
          }
          if (dupFrom >= 0 && dupTo < 0) dupTo = to;
          const r = b.insert(seqAdd(s.base, from), data.subarray(from, to));
          if (dupFrom < 0) expect(r.duplicate).toBeNull();
          else expect(r.duplicate).toEqual({ left: seqAdd(s.base, dupFrom), right: seqAdd(s.base, dupTo) });
          expect(r.beyondWindow).toBe(Math.max(0, to - Math.max(from, nxtOff + win)));
          accepted += r.accepted;
          evicted += r.evicted;
          const newNxt = (b.rcvNxt - s.base) >>> 0;
          expect(newNxt - nxtOff).toBe(r.advanced);
          // The most recent segment's block comes first when it was held (RFC 2018 §4).
          const lo = Math.max(from, nxtOff);
          const hi = Math.min(to, nxtOff + win);
          if (r.advanced === 0 && lo < hi && r.dropped === 0) {
            const first = b.sackBlocks(1)[0]!;
            expect(((seqAdd(s.base, lo) - first.left) >>> 0) < ((first.right - first.left) >>> 0)).toBe(true);
          }
          // Rebuild the model from the buffer's own report and check it against the bytes.
          have.fill(0);
          for (let i = 0; i < newNxt; i++) have[i] = 1;
          let prevRight = newNxt;
          for (const blk of b.outOfOrderBlocks()) {
            const l = (blk.left - s.base) >>> 0;
            const rr = (blk.right - s.base) >>> 0;
            // Sorted, disjoint, never touching RCV.NXT or each other, never empty.
            expect(l).toBeGreaterThan(prevRight);
            expect(rr).toBeGreaterThan(l);
            prevRight = rr;
            expect(rr).toBeLessThanOrEqual(newNxt + b.window());
            for (let i = l; i < rr; i++) have[i] = 1;
          }
          expect(b.outOfOrderBlocks().length).toBeLessThanOrEqual(s.maxRanges);
          expect(b.allocated).toBeLessThanOrEqual(s.capacity);
          expect(b.readable).toBe(newNxt - delivered);
          // Every byte accepted once, except those given up and taken again.
          expect(accepted - evicted).toBe(newNxt + b.outOfOrderBytes);
        };
        for (const seg of schedule) {
          send(seg);
          if (readAt < s.reads.length) deliver(s.reads[readAt++]!);
        }
        // Retransmit from RCV.NXT until everything is through (the sender's RTO, in effect).
        for (let pass = 0; delivered < s.length; pass++) {
          expect(pass).toBeLessThan(s.length + 2);
          const nxt = (b.rcvNxt - s.base) >>> 0;
          send([nxt, Math.min(s.length, nxt + 500)], false);
          deliver(Infinity);
        }
        expect(accepted - evicted).toBe(s.length);
        const all = new Uint8Array(delivered);
        let at = 0;
        for (const p of out) {
          all.set(p, at);
          at += p.length;
        }
        expect(all).toEqual(data);
        expect(b.hasOutOfOrder).toBe(false);
        expect(b.rcvNxt).toBe(seqAdd(s.base, s.length));
      }),
      { numRuns: 300 },
    );
  });
});

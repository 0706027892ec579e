import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BUFFER_CAPACITY, SendBuffer } from '../../../../src/tcp/buffers/send-buffer.js';

/** Bytes 0, 1, 2, ... from `start`, mod 256: every position recognisable. */
function bytes(length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) & 0xff;
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function copy(buf: SendBuffer, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const n = buf.copyTo(offset, out);
  return out.subarray(0, n);
}

describe('SendBuffer', () => {
  it('starts empty, allocating nothing', () => {
    const b = new SendBuffer(1000);
    expect(b.capacity).toBe(1000);
    expect(b.length).toBe(0);
    expect(b.free).toBe(1000);
    expect(b.allocated).toBe(0);
    expect(b.peek(0, 10)).toEqual([]);
    expect(copy(b, 0, 10)).toEqual(new Uint8Array(0));
  });

  it('rejects a capacity that is negative, fractional or above 2^30 (RFC 7323 §2.3)', () => {
    expect(() => new SendBuffer(-1)).toThrow(RangeError);
    expect(() => new SendBuffer(1.5)).toThrow(RangeError);
    expect(() => new SendBuffer(MAX_BUFFER_CAPACITY + 1)).toThrow(RangeError);
    expect(() => new SendBuffer(Number.NaN)).toThrow(RangeError);
    expect(new SendBuffer(0).free).toBe(0);
  });

  it('takes what fits and reports it (backpressure)', () => {
    const b = new SendBuffer(10);
    expect(b.write(bytes(4))).toBe(4);
    expect(b.write(bytes(10, 4))).toBe(6);
    expect(b.length).toBe(10);
    expect(b.free).toBe(0);
    expect(b.write(bytes(1))).toBe(0);
    expect(copy(b, 0, 10)).toEqual(bytes(10));
  });

  it('a zero-length write takes nothing and changes nothing', () => {
    const b = new SendBuffer(10);
    expect(b.write(new Uint8Array(0))).toBe(0);
    expect(b.length).toBe(0);
    expect(b.allocated).toBe(0);
  });

  it('copies the data: the caller may reuse its array', () => {
    const b = new SendBuffer(10);
    const data = bytes(5);
    b.write(data);
    data.fill(0xee);
    expect(copy(b, 0, 5)).toEqual(bytes(5));
  });

  it('copies any range relative to SND.UNA, for first transmissions and retransmissions', () => {
    const b = new SendBuffer(100);
    b.write(bytes(50));
    expect(copy(b, 0, 10)).toEqual(bytes(10));
    expect(copy(b, 20, 10)).toEqual(bytes(10, 20));
    // Past the end: what is held.
    expect(copy(b, 45, 10)).toEqual(bytes(5, 45));
    expect(copy(b, 50, 10)).toEqual(new Uint8Array(0));
    const target = new Uint8Array(8).fill(0xaa);
    expect(b.copyTo(3, target, 2, 4)).toBe(4);
    expect(target).toEqual(Uint8Array.from([0xaa, 0xaa, 3, 4, 5, 6, 0xaa, 0xaa]));
  });

  it('rejects offsets outside [0, length] and target ranges outside the target', () => {
    const b = new SendBuffer(100);
    b.write(bytes(10));
    expect(() => b.copyTo(11, new Uint8Array(1))).toThrow(RangeError);
    expect(() => b.copyTo(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => b.copyTo(0, new Uint8Array(4), 2, 3)).toThrow(RangeError);
    expect(() => b.copyTo(0, new Uint8Array(4), -1, 1)).toThrow(RangeError);
    expect(() => b.peek(11, 1)).toThrow(RangeError);
    expect(() => b.peek(0, -1)).toThrow(RangeError);
  });

  it('acknowledge drops bytes from the front: offset 0 follows SND.UNA', () => {
    const b = new SendBuffer(100);
    b.write(bytes(30));
    b.acknowledge(0);
    expect(b.length).toBe(30);
    b.acknowledge(10);
    expect(b.length).toBe(20);
    expect(b.free).toBe(80);
    expect(copy(b, 0, 5)).toEqual(bytes(5, 10));
    b.acknowledge(20);
    expect(b.length).toBe(0);
    expect(() => b.acknowledge(1)).toThrow(RangeError);
    expect(() => b.acknowledge(-1)).toThrow(RangeError);
    expect(() => b.acknowledge(0.5)).toThrow(RangeError);
  });

  it('wraps around the ring: copies and views across the end are exact', () => {
    const b = new SendBuffer(20);
    b.write(bytes(20)); // grows the ring to exactly the capacity (20 < the first allocation)
    expect(b.allocated).toBe(20);
    b.acknowledge(15);
    expect(b.write(bytes(15, 20))).toBe(15); // bytes 20..34 at physical 0..14
    expect(b.length).toBe(20);
    expect(copy(b, 0, 20)).toEqual(bytes(20, 15));
    expect(copy(b, 3, 6)).toEqual(bytes(6, 18));
    const views = b.peek(2, 10);
    expect(views).toHaveLength(2);
    expect(concat(views)).toEqual(bytes(10, 17));
    expect(b.peek(5, 10)).toHaveLength(1);
    expect(concat(b.peek(5, 10))).toEqual(bytes(10, 20));
  });

  it('peek returns views, not copies', () => {
    const b = new SendBuffer(10);
    b.write(bytes(4));
    const [view] = b.peek(0, 4);
    expect(view).toEqual(bytes(4));
    expect(view!.byteLength).toBe(4);
  });

  it('grows its memory on demand, keeping wrapped data in order', () => {
    const b = new SendBuffer(1 << 20);
    b.write(bytes(16 * 1024));
    const first = b.allocated;
    expect(first).toBeLessThan(1 << 20);
    b.acknowledge(10_000);
    b.write(bytes(8000, 16 * 1024)); // wraps inside the first allocation
    b.write(bytes(100_000, 16 * 1024 + 8000)); // forces growth while wrapped
    expect(b.allocated).toBeGreaterThan(first);
    expect(b.allocated).toBeLessThanOrEqual(1 << 20);
    expect(copy(b, 0, b.length)).toEqual(bytes(b.length, 10_000));
  });

  it('setCapacity grows, and shrinks no lower than what is held', () => {
    const b = new SendBuffer(10);
    b.write(bytes(10));
    expect(b.setCapacity(20)).toBe(20);
    expect(b.write(bytes(10, 10))).toBe(10);
    expect(b.setCapacity(5)).toBe(20);
    b.acknowledge(12);
    expect(b.setCapacity(5)).toBe(8);
    expect(b.free).toBe(0);
    expect(b.allocated).toBe(8);
    expect(copy(b, 0, 8)).toEqual(bytes(8, 12));
    b.acknowledge(8);
    expect(b.setCapacity(0)).toBe(0);
    expect(b.allocated).toBe(0);
    expect(b.write(bytes(1))).toBe(0);
    expect(() => b.setCapacity(-5)).toThrow(RangeError);
  });

  it('clear drops everything', () => {
    const b = new SendBuffer(10);
    b.write(bytes(7));
    b.clear();
    expect(b.length).toBe(0);
    expect(b.free).toBe(10);
    b.write(bytes(3, 50));
    expect(copy(b, 0, 3)).toEqual(bytes(3, 50));
  });

  it('behaves like a plain byte queue under random writes, acks, copies, peeks and resizes', () => {
    type Op =
      | { kind: 'write'; length: number }
      | { kind: 'ack'; fraction: number }
      | { kind: 'copy'; offset: number; length: number }
      | { kind: 'peek'; offset: number; length: number }
      | { kind: 'capacity'; capacity: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), length: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('ack' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('copy' as const), offset: fc.nat(), length: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('peek' as const), offset: fc.nat(), length: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('capacity' as const), capacity: fc.integer({ min: 0, max: 40_000 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
        const b = new SendBuffer(capacity);
        let model: number[] = [];
        let cap = capacity;
        let next = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'write': {
              const data = bytes(o.length, next);
              const took = b.write(data);
              expect(took).toBe(Math.min(o.length, cap - model.length));
              for (let i = 0; i < took; i++) model.push(data[i]!);
              next += took;
              break;
            }
            case 'ack': {
              const n = Math.floor(o.fraction * model.length);
              b.acknowledge(n);
              model = model.slice(n);
              break;
            }
            case 'copy': {
              const offset = model.length === 0 ? 0 : o.offset % (model.length + 1);
              expect(Array.from(copy(b, offset, o.length))).toEqual(model.slice(offset, offset + o.length));
              break;
            }
            case 'peek': {
              const offset = model.length === 0 ? 0 : o.offset % (model.length + 1);
              const views = b.peek(offset, o.length);
              expect(views.length).toBeLessThanOrEqual(2);
              expect(Array.from(concat(views))).toEqual(model.slice(offset, offset + o.length));
              break;
            }
            case 'capacity':
              cap = Math.max(o.capacity, model.length);
              expect(b.setCapacity(o.capacity)).toBe(cap);
              break;
          }
          expect(b.length).toBe(model.length);
          expect(b.free).toBe(cap - model.length);
          expect(b.allocated).toBeLessThanOrEqual(cap);
        }
        expect(Array.from(copy(b, 0, model.length))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});

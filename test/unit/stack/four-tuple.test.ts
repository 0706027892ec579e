// The connection table's key: one per 4-tuple, whatever the addresses and ports.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fourTupleKey } from '../../../src/stack/four-tuple.js';
import type { IpAddress } from '../../../src/wire/address.js';

const v4 = fc.integer({ min: 0, max: 0xffffffff });
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const port = fc.integer({ min: 0, max: 0xffff });
const tuple = fc.oneof(fc.tuple(v4, port, v4, port), fc.tuple(v6, port, v6, port)) as fc.Arbitrary<[IpAddress, number, IpAddress, number]>;

function same(a: [IpAddress, number, IpAddress, number], b: [IpAddress, number, IpAddress, number]): boolean {
  const addr = (x: IpAddress, y: IpAddress): boolean => (typeof x === 'number' || typeof y === 'number' ? x === y : x.every((byte, i) => byte === y[i]));
  return addr(a[0], b[0]) && a[1] === b[1] && addr(a[2], b[2]) && a[3] === b[3];
}

describe('fourTupleKey', () => {
  it('gives two 4-tuples the same key exactly when they are the same', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        expect(fourTupleKey(...a) === fourTupleKey(...b)).toBe(same(a, b));
      }),
      { numRuns: 20_000 },
    );
  });

  it('tells the two directions apart, and the neighbours of an address or port', () => {
    const a = 0x0a000001;
    const b = 0x0a000002;
    const keys = [fourTupleKey(a, 80, b, 5000), fourTupleKey(b, 5000, a, 80), fourTupleKey(a, 81, b, 5000), fourTupleKey(a, 80, b + 0x10000, 5000)];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

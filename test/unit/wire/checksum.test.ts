import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumIsValid,
  combineSums,
  foldSum,
  internetChecksum,
  onesComplementSum,
  parseIpv4Address,
  parseIpv6Address,
  pseudoHeaderSum,
  pseudoHeaderSumIpv4,
  pseudoHeaderSumIpv6,
  updateChecksum16,
  updateChecksum32,
} from '../../../src/wire/index.js';
import { hex } from './hex.js';

/** The textbook definition, one 16-bit word at a time, folding as it goes: the oracle. */
function referenceSum(b: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < b.length; i += 2) {
    sum += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

describe('RFC 1071 one\'s complement sum', () => {
  it('matches the numerical example of RFC 1071 §3', () => {
    // "00 01 f2 03 f4 f5 f6 f7": the sum is dd f2, so the checksum is 22 0d.
    const data = hex('0001 f203 f4f5 f6f7');
    expect(onesComplementSum(data)).toBe(0xddf2);
    expect(internetChecksum(data)).toBe(0x220d);
  });

  it('verifies a known IPv4 header (checksum b861)', () => {
    const header = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    expect(checksumIsValid(header)).toBe(true);
    header[11] = 0;
    header[10] = 0;
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it('pads an odd final byte with zero on the right', () => {
    expect(onesComplementSum(hex('01'))).toBe(0x0100);
    expect(onesComplementSum(hex('0102 03'))).toBe(0x0102 + 0x0300);
  });

  it('folds carries back in (end-around carry)', () => {
    expect(onesComplementSum(hex('ffff 0001'))).toBe(0x0001);
    expect(onesComplementSum(hex('ffff ffff'))).toBe(0xffff);
    expect(foldSum(0x1_0000_0000)).toBe(1);
    expect(foldSum(0)).toBe(0);
  });

  it('accepts both encodings of a zero checksum and rejects a wrong one', () => {
    expect(checksumIsValid(hex('ffff 0000'))).toBe(true);
    expect(checksumIsValid(hex('ffff ffff'))).toBe(true);
    expect(checksumIsValid(hex('0000 ffff'))).toBe(true);
    expect(checksumIsValid(hex('0000 0000'))).toBe(false);
    expect(checksumIsValid(hex('1234 edcb'))).toBe(true);
    expect(checksumIsValid(hex('1234 edca'))).toBe(false);
  });

  it('agrees with the word-at-a-time definition on any data, offsets and lengths', () => {
    // Long arrays exercise the 32-bit-word path (≥ 256 bytes), odd starts its alignment.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat(7),
        fc.nat(7),
        fc.integer({ min: 0, max: 0xffff }),
        (data, cutStart, cutEnd, initial) => {
          const start = Math.min(cutStart, data.length);
          const end = Math.max(start, data.length - cutEnd);
          expect(onesComplementSum(data, start, end, initial)).toBe(referenceSum(data.subarray(start, end), initial));
        },
      ),
    );
  });

  it('handles the largest IP payload and views at any byte offset', () => {
    const buffer = new Uint8Array(70_000).map((_, i) => (i * 7919) & 0xff);
    for (const offset of [0, 1, 3]) {
      const view = buffer.subarray(offset, offset + 65_535);
      expect(onesComplementSum(view)).toBe(referenceSum(view));
    }
  });

  it('a written checksum verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 600 }), (data) => {
        const even = data.length & ~1;
        const b = data.slice(0, even);
        b[0] = 0;
        b[1] = 0;
        const c = internetChecksum(b);
        b[0] = c >>> 8;
        b[1] = c & 0xff;
        expect(checksumIsValid(b)).toBe(true);
      }),
    );
  });
});

describe('combining partial sums', () => {
  it('equals the sum of the whole, whatever the split (odd splits byte-swap)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), fc.nat(), (data, at) => {
        const split = data.length === 0 ? 0 : at % (data.length + 1);
        const a = onesComplementSum(data, 0, split);
        const b = onesComplementSum(data, split, data.length);
        const whole = onesComplementSum(data);
        // One's complement has two zeros; compare modulo 0xffff.
        expect(combineSums(a, b, split) % 0xffff).toBe(whole % 0xffff);
      }),
    );
  });
});

describe('pseudo-header sums', () => {
  it('IPv4 (RFC 9293 §3.1): addresses, zero, protocol, TCP length', () => {
    const src = parseIpv4Address('10.200.1.2')!;
    const dst = parseIpv4Address('10.200.2.2')!;
    const bytes = hex('0ac8 0102 0ac8 0202 0006 0028');
    expect(pseudoHeaderSumIpv4(src, dst, 6, 40)).toBe(onesComplementSum(bytes));
    expect(pseudoHeaderSum(src, dst, 6, 40)).toBe(onesComplementSum(bytes));
  });

  it('IPv6 (RFC 8200 §8.1): addresses, 32-bit length, zeros, next header', () => {
    const src = parseIpv6Address('fd00:200:1::2')!;
    const dst = parseIpv6Address('fd00:200:2::2')!;
    const bytes = new Uint8Array(40);
    bytes.set(src, 0);
    bytes.set(dst, 16);
    bytes.set(hex('0001 0005 0000 003a'), 32); // length 65541 needs the high half
    expect(pseudoHeaderSumIpv6(src, dst, 58, 65541)).toBe(onesComplementSum(bytes));
    expect(pseudoHeaderSum(src, dst, 58, 65541)).toBe(onesComplementSum(bytes));
  });

  it('refuses mixed families (a programming error)', () => {
    expect(() => pseudoHeaderSum(1, new Uint8Array(16), 6, 20)).toThrow(TypeError);
  });
});

describe('RFC 1624 incremental update', () => {
  it('equals recomputing after changing any 16-bit word', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 200 }).filter((d) => d.length % 2 === 0),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (data, at, newWord) => {
          const word = 2 * (at % (data.length / 2));
          const before = internetChecksum(data);
          const oldWord = (data[word] << 8) | data[word + 1];
          const edited = data.slice();
          edited[word] = newWord >>> 8;
          edited[word + 1] = newWord & 0xff;
          const incremental = updateChecksum16(before, oldWord, newWord);
          const full = internetChecksum(edited);
          // Equal, except that all-zero data has two valid checksums (0x0000 and 0xffff).
          if (edited.some((b) => b !== 0)) expect(incremental).toBe(full);
          else expect([0, 0xffff]).toContain(incremental);
        },
      ),
    );
  });

  it('equals recomputing after changing a 32-bit field (an address, a sequence number)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 120 }).filter((d) => d.length % 4 === 0),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, at, newValue) => {
          const field = 4 * (at % (data.length / 4));
          const before = internetChecksum(data);
          const oldValue = ((data[field] << 24) | (data[field + 1] << 16) | (data[field + 2] << 8) | data[field + 3]) >>> 0;
          const edited = data.slice();
          edited.set([newValue >>> 24, (newValue >>> 16) & 0xff, (newValue >>> 8) & 0xff, newValue & 0xff], field);
          const incremental = updateChecksum32(before, oldValue, newValue);
          if (edited.some((b) => b !== 0)) expect(incremental).toBe(internetChecksum(edited));
        },
      ),
    );
  });

  it('RFC 1624 §4 example: gives 0x0000 where equation 2 gives 0xffff', () => {
    // The other header octets sum to 0xcd7a; m = 0x5555 changes to m' = 0x3285, so the new sum
    // is 0xffff and the checksum recomputed from scratch is 0x0000.
    expect(updateChecksum16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });
});

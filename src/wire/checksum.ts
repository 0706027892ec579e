/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
 * the data taken as big-endian 16-bit words. Used by IPv4 headers, TCP, UDP, ICMP and ICMPv6.
 *
 * Vocabulary used below:
 * - a *sum* is the folded one's complement sum, 0..0xffff, not complemented. Sums of pieces
 *   combine with {@link combineSums}; the pseudo-header functions return sums.
 * - a *checksum* is `~sum & 0xffff`, the value written into a header.
 *
 * This is on the per-packet path, so it follows RFC 1071 §2's advice: "deferred carries" (add
 * words into a wide accumulator and fold once at the end) and, for long data, wider words: a
 * one's complement sum of 32-bit words folds to the same 16-bit sum, because 2^16 ≡ 1 mod 0xffff.
 */

import type { IpAddress, Ipv4Address, Ipv6Address } from './address.js';

/** Below this length a `DataView` costs more to create than it saves. Measured on Node 20. */
const WIDE_WORDS_THRESHOLD = 256;
/** Bytes summed between folds in the wide loop, so the float64 accumulators stay exact (< 2^53). */
const WIDE_CHUNK = 1 << 20;

/** Folds an accumulator (any non-negative integer below 2^53) into a 16-bit sum, adding the
 *  carries back in ("end-around carry", RFC 1071 §1). The result is 0 only when the input is 0. */
export function foldSum(sum: number): number {
  while (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The one's complement sum of `bytes[start, end)`, folded to 16 bits and added to `initial`
 * (another sum, e.g. a pseudo-header's). An odd final byte is padded with a zero byte on the
 * right (RFC 1071 §1, RFC 9293 §3.1). Does not complement: see {@link internetChecksum}.
 */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  if (end - start >= WIDE_WORDS_THRESHOLD) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Two accumulators let the CPU overlap the additions.
    while (end - i >= 16) {
      const stop = Math.min(end - 15, i + WIDE_CHUNK);
      let a = 0;
      let b = 0;
      for (; i < stop; i += 16) {
        a += dv.getUint32(i) + dv.getUint32(i + 4);
        b += dv.getUint32(i + 8) + dv.getUint32(i + 12);
      }
      sum = foldSum(sum + foldSum(a) + foldSum(b));
    }
  }
  const end8 = end - 7;
  for (; i < end8; i += 8) {
    sum +=
      ((bytes[i] << 8) | bytes[i + 1]) +
      ((bytes[i + 2] << 8) | bytes[i + 3]) +
      ((bytes[i + 4] << 8) | bytes[i + 5]) +
      ((bytes[i + 6] << 8) | bytes[i + 7]);
  }
  const end2 = end - 1;
  for (; i < end2; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return foldSum(sum);
}

/** The checksum to write into a header: the complement of the sum (RFC 1071 §1). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/**
 * Verification as RFC 1071 §1 describes it: sum everything, checksum field included; the data
 * is intact when the sum is all ones. Both encodings of a zero checksum (0x0000 and 0xffff) are
 * accepted, since one's complement has two zeros.
 */
export function checksumIsValid(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): boolean {
  return onesComplementSum(bytes, start, end, initial) === 0xffff;
}

/**
 * The sum of two adjacent pieces, given the sum of each. When the first piece has an odd length
 * the second one's bytes sit in the other half of each word, so its sum is byte-swapped first
 * (RFC 1071 §2(B), byte-order independence; Linux `csum_block_add`).
 */
export function combineSums(first: number, second: number, firstLength: number): number {
  const s = (firstLength & 1) === 0 ? second : ((second & 0xff) << 8) | (second >>> 8);
  return foldSum(first + s);
}

/**
 * The sum of the IPv4 pseudo-header (RFC 9293 §3.1; RFC 768 for UDP): source address,
 * destination address, a zero byte, the protocol, and the TCP/UDP length. The length is that of
 * the upper-layer header plus data, not counting the IP header.
 */
export function pseudoHeaderSumIpv4(src: Ipv4Address, dst: Ipv4Address, protocol: number, length: number): number {
  return foldSum((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

/**
 * The sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, a 32-bit Upper-Layer
 * Packet Length, three zero bytes and the Next Header value of the upper-layer protocol (not of
 * any extension header in between).
 */
export function pseudoHeaderSumIpv6(src: Ipv6Address, dst: Ipv6Address, nextHeader: number, length: number): number {
  let sum = (length >>> 16) + (length & 0xffff) + nextHeader;
  for (let i = 0; i < 16; i += 2) sum += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  return foldSum(sum);
}

/** The pseudo-header sum for either family. Both addresses must be of the same family. */
export function pseudoHeaderSum(src: IpAddress, dst: IpAddress, protocol: number, length: number): number {
  if (typeof src === 'number' && typeof dst === 'number') return pseudoHeaderSumIpv4(src, dst, protocol, length);
  if (typeof src !== 'number' && typeof dst !== 'number') return pseudoHeaderSumIpv6(src, dst, protocol, length);
  throw new TypeError('pseudoHeaderSum: source and destination addresses are of different families');
}

/**
 * RFC 1624 §3, equation 3: the new checksum after one 16-bit word of the covered data changed
 * from `oldWord` to `newWord`, HC' = ~(~HC + ~m + m'), without summing the data again (for
 * rewriting a field: a port, a window, an MSS option). Equation 3, not RFC 1141's equation 2,
 * which can give 0xffff where recomputing gives 0x0000 (RFC 1624 §4).
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** {@link updateChecksum16} for a 32-bit field (a sequence number, an IPv4 address). */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const sum =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    (newValue >>> 16) +
    (newValue & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

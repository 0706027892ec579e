// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
// Linux uses for every secret-dependent number TCP puts on the wire (secure_tcp_seq,
// secure_tcp_ts_off, secure_ipv4_port_ephemeral, SYN cookies). Implemented over pairs of
// 32-bit halves so that hashing allocates nothing and needs no BigInt.

/** A 128-bit SipHash key, pre-split into its two 64-bit little-endian words as 32-bit halves:
 *  [k0 low, k0 high, k1 low, k1 high]. */
export type SipHashKey = Uint32Array;

export const SIPHASH_KEY_BYTES = 16;

/** The key as SipHash reads it: 16 bytes, two little-endian 64-bit words (paper §2). */
export function sipHashKey(bytes: Uint8Array): SipHashKey {
  if (bytes.length !== SIPHASH_KEY_BYTES) throw new RangeError(`a SipHash key is 16 bytes, got ${bytes.length}`);
  const k = new Uint32Array(4);
  for (let w = 0; w < 4; w++) k[w] = readLe32(bytes, 4 * w);
  return k;
}

function readLe32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

// The state v0..v3, each as (high, low): v0h v0l v1h v1l v2h v2l v3h v3l. Module-level (hashing
// is synchronous and re-entrancy free) and in a typed array: a 32-bit value above 2^30 kept in a
// plain variable outside a function is a heap number, so each assignment allocated (40 MB of
// garbage in a 4-second connection-rate run); typed-array elements and locals do not.
const v = new Uint32Array(8);

function sipRound(): void {
  let v0h = v[0] as number, v0l = v[1] as number, v1h = v[2] as number, v1l = v[3] as number;
  let v2h = v[4] as number, v2l = v[5] as number, v3h = v[6] as number, v3l = v[7] as number;
  let l: number, h: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  l = v0l + v1l; v0h = (v0h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0; v0l = l >>> 0;
  h = (v1h << 13) | (v1l >>> 19); l = (v1l << 13) | (v1h >>> 19);
  v1h = (h ^ v0h) >>> 0; v1l = (l ^ v0l) >>> 0;
  h = v0h; v0h = v0l; v0l = h;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  l = v2l + v3l; v2h = (v2h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0; v2l = l >>> 0;
  h = (v3h << 16) | (v3l >>> 16); l = (v3l << 16) | (v3h >>> 16);
  v3h = (h ^ v2h) >>> 0; v3l = (l ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  l = v0l + v3l; v0h = (v0h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0; v0l = l >>> 0;
  h = (v3h << 21) | (v3l >>> 11); l = (v3l << 21) | (v3h >>> 11);
  v3h = (h ^ v0h) >>> 0; v3l = (l ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  l = v2l + v1l; v2h = (v2h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0; v2l = l >>> 0;
  h = (v1h << 17) | (v1l >>> 15); l = (v1l << 17) | (v1h >>> 15);
  v1h = (h ^ v2h) >>> 0; v1l = (l ^ v2l) >>> 0;
  h = v2h; v2h = v2l; v2l = h;
  v[0] = v0h; v[1] = v0l; v[2] = v1h; v[3] = v1l; v[4] = v2h; v[5] = v2l; v[6] = v3h; v[7] = v3l;
}

function compress(mh: number, ml: number): void {
  v[6] ^= mh; v[7] ^= ml; // v3 ^= m
  sipRound();
  sipRound();
  v[0] ^= mh; v[1] ^= ml; // v0 ^= m
}

/** The high 32 bits of the last `sipHash24` result. */
export let sipHashHigh = 0;

/**
 * SipHash-2-4 of `message[0, length)` under `key`. Returns the low 32 bits of the 64-bit result
 * (what Linux keeps when it assigns siphash() to a u32) and leaves the high 32 bits in
 * `sipHashHigh` for the callers that need all 64 (port selection).
 */
export function sipHash24(key: SipHashKey, message: Uint8Array, length = message.length): number {
  // Initialisation (paper §2.1): the constants spell "somepseudorandomlygeneratedbytes".
  v[0] = (key[1] as number) ^ 0x736f6d65; v[1] = (key[0] as number) ^ 0x70736575;
  v[2] = (key[3] as number) ^ 0x646f7261; v[3] = (key[2] as number) ^ 0x6e646f6d;
  v[4] = (key[1] as number) ^ 0x6c796765; v[5] = (key[0] as number) ^ 0x6e657261;
  v[6] = (key[3] as number) ^ 0x74656462; v[7] = (key[2] as number) ^ 0x79746573;
  const whole = length - (length & 7);
  for (let i = 0; i < whole; i += 8) compress(readLe32(message, i + 4), readLe32(message, i));
  // The last block: the remaining bytes, zero padded, with length mod 256 in the top byte.
  let lastLow = 0;
  let lastHigh = (length & 0xff) << 24;
  for (let i = whole, shift = 0; i < length; i++, shift += 8) {
    if (shift < 32) lastLow |= message[i] << shift;
    else lastHigh |= message[i] << (shift - 32);
  }
  compress(lastHigh >>> 0, lastLow >>> 0);
  // Finalisation: v2 ^= 0xff, then d = 4 rounds.
  v[5] ^= 0xff;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  sipHashHigh = ((v[0] as number) ^ (v[2] as number) ^ (v[4] as number) ^ (v[6] as number)) >>> 0;
  return ((v[1] as number) ^ (v[3] as number) ^ (v[5] as number) ^ (v[7] as number)) >>> 0;
}

/** The full 64-bit SipHash-2-4 value, for tests and for callers that can afford a BigInt. */
export function sipHash24Big(key: SipHashKey, message: Uint8Array): bigint {
  const low = sipHash24(key, message);
  return (BigInt(sipHashHigh) << 32n) | BigInt(low);
}

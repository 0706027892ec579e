/**
 * Short-lived byte arrays carved from shared chunks: the packets and segment payloads a stack
 * builds by the hundred thousand per second. `new Uint8Array(n)` allocates and zeroes a backing
 * store per call; here a chunk is allocated once per `CHUNK` bytes and each array is a view of
 * it (a small object, no backing store of its own). Nothing is ever reused: a chunk is freed by
 * the garbage collector once no view of it remains, so a view stays valid as long as anyone
 * holds it, exactly like a fresh array. Views start 8-byte aligned.
 */

const CHUNK = 256 * 1024;
/** Larger requests get a chunk of their own (rare: super-segments). */
const SMALL = 16 * 1024;

let chunk = new Uint8Array(CHUNK);
let used = 0;

/**
 * An array of `length` bytes for the caller to fill entirely (see the file comment): zeroed up
 * to 16 KiB; a larger one (a super-segment) comes uninitialized, since zeroing 64 KiB only to
 * overwrite it doubles what a super-segment costs to build.
 */
export function takeBytes(length: number): Uint8Array {
  if (length > SMALL) return uninitializedBytes(length);
  if (used + length > CHUNK) {
    chunk = new Uint8Array(CHUNK);
    used = 0;
  }
  const out = chunk.subarray(used, used + length);
  used = (used + length + 7) & ~7;
  return out;
}

/**
 * A fresh array of `length` bytes whose contents are undefined until written, for a caller that
 * overwrites all of it at once (a read out of a receive buffer): large ones skip the zeroing
 * that `new Uint8Array` does (Node's Buffer.allocUnsafeSlow: no pool, so nothing else shares
 * its memory).
 */
export function uninitializedBytes(length: number): Uint8Array {
  if (length < 4096) return new Uint8Array(length);
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length); // a plain Uint8Array, like the rest
}

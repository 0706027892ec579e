/** Big-endian (network order, RFC 1700 "Data Notations") reads and writes on byte arrays.
 *  Small enough for V8 to inline; callers check bounds first. */

export function readU16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

export function readU32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

export function writeU16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

export function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/** The one empty view handed out for absent options and payloads: it has no elements, so
 *  sharing it is safe, and it saves a `subarray` allocation per packet. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** A view of `b[start, end)`, or {@link EMPTY_BYTES} when empty. */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return end > start ? b.subarray(start, end) : EMPTY_BYTES;
}

// The deterministic byte stream both ends of a transfer test agree on (the same ramp as
// kernel_peer.py's `pattern`): byte i of a stream is i mod 251. 251 is prime, so the ramp
// never lines up with power-of-two segment or buffer sizes and a misplaced chunk shows.
import { createHash } from 'node:crypto';

const RAMP_LENGTH = 251;
const RAMP = Uint8Array.from({ length: RAMP_LENGTH * 2 }, (_, i) => i % RAMP_LENGTH);

/** `length` bytes of the stream starting at stream offset `offset`. */
export function patternBytes(length: number, offset = 0): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  let phase = offset % RAMP_LENGTH;
  while (at < length) {
    const n = Math.min(length - at, RAMP_LENGTH);
    out.set(RAMP.subarray(phase, phase + n), at);
    at += n;
    phase = (phase + n) % RAMP_LENGTH;
  }
  return out;
}

/** sha256 (hex) of the first `length` bytes of the stream. */
export function patternSha256(length: number): string {
  const hash = createHash('sha256');
  const chunk = 1 << 20;
  for (let at = 0; at < length; at += chunk) hash.update(patternBytes(Math.min(chunk, length - at), at));
  return hash.digest('hex');
}

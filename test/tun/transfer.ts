// Helpers of the TUN tests that move bulk data through a stack's endpoint by hand: wait for a
// condition, read to the end hashing, write the shared pattern as fast as the send buffer takes it.
import { createHash } from 'node:crypto';
import { patternBytes } from '../../src/lab/pattern.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';

export const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

/** How the test drives its stack: the clock, and what to call after acting on an endpoint. */
export interface Driving {
  now(): number;
  after(ep: TcpEndpoint): void;
}

/** Read everything until the peer's FIN, hashing as we go. */
export async function readToEnd(ep: TcpEndpoint, d: Driving): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for (;;) {
    const data = ep.connection.read(1 << 20, d.now());
    if (data.length > 0) {
      hash.update(data);
      bytes += data.length;
      d.after(ep);
      continue;
    }
    if (ep.connection.peerClosed || ep.connection.stateName === 'CLOSED') break;
    await tick();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Write `total` bytes of the pattern, as fast as the send buffer takes them. */
export async function writePattern(ep: TcpEndpoint, total: number, d: Driving): Promise<void> {
  let sent = 0;
  while (sent < total) {
    const chunk = patternBytes(Math.min(256 * 1024, total - sent), sent);
    const n = ep.connection.write(chunk, d.now());
    if (typeof n !== 'number') throw new Error(`write failed: ${n.error}`);
    sent += n;
    d.after(ep);
    if (n < chunk.length) await tick();
  }
}

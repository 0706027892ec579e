// Helpers of the TUN tests that move bulk data through a stack's endpoint by hand: wait for a
// condition, accept a kernel client, read to the end hashing, write the shared pattern as fast as
// the send buffer takes it, have the kernel send it or receive it.
import { createHash } from 'node:crypto';
import type { KernelPeer } from '../../src/lab/kernel-peer.js';
import { patternBytes } from '../../src/lab/pattern.js';
import type { PeerSocket } from '../../src/lab/peer-api.js';
import type { Listener } from '../../src/stack/listener.js';
import type { Stack } from '../../src/stack/stack.js';
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

/** A new listener on `stack`, a kernel client connected to it (`host`: tcplab's address), and
 *  tcplab's end of that connection, accepted. */
export async function acceptKernelClient(
  stack: Stack,
  peer: KernelPeer,
  host: string,
  listen: { port: number; address?: string },
  timeoutMs = 10_000,
): Promise<{ listener: Listener; client: PeerSocket; server: TcpEndpoint }> {
  const listener = stack.listen(listen);
  const client = await peer.connect(host, listen.port);
  await until('the accept queue', () => listener.acceptQueue.length > 0, timeoutMs);
  const server = stack.tcp.accept(listener);
  if (server === undefined) throw new Error('the accept queue emptied before accept');
  return { listener, client, server };
}

/** The kernel client sends `bytes` of the pattern and shuts down writing while tcplab reads to
 *  the end: what tcplab read, and the hash of what the kernel sent. */
export async function patternFromKernel(
  peer: KernelPeer,
  client: PeerSocket,
  server: TcpEndpoint,
  bytes: number,
  d: Driving,
  timeoutMs?: number,
): Promise<{ got: { bytes: number; sha256: string }; sent: string }> {
  const sending = peer.sendPattern(client, bytes, timeoutMs === undefined ? {} : { timeoutMs }).then(async (hash) => {
    await peer.shutdown(client, 'wr');
    return hash;
  });
  const got = await readToEnd(server, d);
  return { got, sent: await sending };
}

/** tcplab writes `bytes` of the pattern to the kernel's `socket` and ends its side (`close` or
 *  `shutdown`, SHUT_WR) while the kernel reads it all: what the kernel received. */
export async function patternToKernel(
  peer: KernelPeer,
  socket: PeerSocket,
  ep: TcpEndpoint,
  bytes: number,
  d: Driving,
  end: 'close' | 'shutdown',
): Promise<{ received: number; sha256: string }> {
  const receiving = peer.recvAll(socket, { bytes, timeoutSeconds: 60 });
  await writePattern(ep, bytes, d);
  if (end === 'close') ep.connection.close(d.now());
  else ep.connection.shutdownWrite(d.now());
  d.after(ep);
  return receiving;
}

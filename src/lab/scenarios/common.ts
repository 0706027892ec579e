// Small steps the scenarios share.
import type { Server } from '../../net/server.js';
import type { Socket } from '../../net/socket.js';
import type { Netns } from '../netns.js';
import type { ScenarioContext } from '../scenario.js';

/** The kernel's namespace, for scenarios that run kernel tools there (they declare
 *  `needsKernel`, so they never run over the in-memory link). */
export function kernelNamespace(ctx: ScenarioContext): Netns {
  if (!ctx.host.ns) throw new Error('this scenario needs the real kernel in a namespace');
  return ctx.host.ns;
}

/** Wait until the kernel shows a socket in `state` (ss name) on one of the watched ports. */
export async function kernelReaches(ctx: ScenarioContext, state: string, timeoutMs = 10_000): Promise<void> {
  await ctx.until(`the kernel's ${state}`, async () => (await ctx.kernel.poll()).some((r) => r.state === state), timeoutMs);
}

/** Wait until a tcplab socket's connection is in `state` (RFC 9293 name). */
export async function tcplabReaches(ctx: ScenarioContext, socket: Socket, state: string, timeoutMs = 10_000): Promise<void> {
  await ctx.until(`tcplab's ${state}`, () => socket.tcpState === state, timeoutMs);
}

/** The next connection a server accepts. */
export function nextConnection(server: Server): Promise<Socket> {
  return new Promise((resolve) => server.once('connection', resolve));
}

/** Listen on tcplab's address, resolved once listening. */
export async function listenOn(ctx: ScenarioContext, port: number, options: { backlog?: number; allowHalfOpen?: boolean; pauseAccepting?: boolean } = {}): Promise<Server> {
  const server = ctx.host.net.createServer({ allowHalfOpen: options.allowHalfOpen ?? true, pauseAccepting: options.pauseAccepting });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: ctx.host.address, backlog: options.backlog }, () => resolve());
  });
  return server;
}

/** Connect from tcplab, resolved once connected. */
export async function connectFrom(ctx: ScenarioContext, port: number, options: { allowHalfOpen?: boolean } = {}): Promise<Socket> {
  const socket = ctx.host.net.connect({ host: ctx.host.peerAddress, port, allowHalfOpen: options.allowHalfOpen ?? true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

// Unit tests never touch a real network: tcplab's stacks talk over in-process links. As a
// guard against a test that falls back to Node's own sockets by mistake (an http.Agent, a
// net.connect), every real TCP connect or UDP send from a unit test to anything but
// loopback throws before a packet leaves.
import dgram from 'node:dgram';
import net from 'node:net';

/** Whether a unit test may connect to `host` (undefined: Node's default, localhost). */
export function isLoopbackTarget(host: unknown): boolean {
  if (host === undefined || host === null || host === '') return true;
  if (typeof host !== 'string') return false;
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

/** How many connections the guard has refused (its test checks it moved). */
export let refusals = 0;

function refuse(where: string): never {
  refusals++;
  throw new Error(`unit tests must not open real network connections (tried ${where}); use the in-process stacks`);
}

/** The target of any form of Socket#connect arguments, or undefined for a unix socket path. */
function targetOf(args: unknown[]): { host: unknown; port: unknown } | undefined {
  let first = args[0];
  // net.connect() passes its normalized arguments as one array.
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === 'string' && o.path !== '') return undefined;
    return { host: o.host, port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a path
  return { host: args[1], port: first };
}

let underlyingConnect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const target = targetOf(args);
  if (target && !isLoopbackTarget(target.host)) refuse(`${String(target.host)}:${String(target.port)}`);
  return (underlyingConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

/** For the guard's own test: run `fn` with the real connect replaced, so nothing can leak. */
export function withUnderlyingConnect<T>(fake: typeof net.Socket.prototype.connect, fn: () => T): T {
  const saved = underlyingConnect;
  underlyingConnect = fake;
  try {
    return fn();
  } finally {
    underlyingConnect = saved;
  }
}

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
  const address = args.find((a, i) => i > 0 && typeof a === 'string');
  if (!isLoopbackTarget(address)) refuse(`udp ${String(address)}`);
  return (send as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

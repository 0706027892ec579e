// API misuse gets the error Node's own `net` gives, and nothing crashes. Every expectation here
// was taken from Node 20's net module doing the same thing (run inside a private namespace on
// its loopback): the same code, thrown synchronously or emitted as 'error' as Node does, with
// Node's message where the caller is likely to read it.
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { patternBytes, patternSha256 } from '../../../src/lab/pattern.js';
import type { Socket } from '../../../src/net/socket.js';
import { realEnv, virtualEnv, type NetEnv } from './env.js';

type Events = [string, string][];

/** Record a socket's or server's error/close/connect events as [name, code or message]. */
function record(emitter: NodeJS.EventEmitter, names: readonly string[] = ['error', 'close', 'connect', 'finish']): Events {
  const seen: Events = [];
  for (const name of names) {
    emitter.on(name, (arg?: unknown) => {
      const detail = arg instanceof Error ? ((arg as NodeJS.ErrnoException).code ?? arg.message) : arg === undefined ? '' : String(arg);
      seen.push([name, detail]);
    });
  }
  return seen;
}

function thrown(fn: () => unknown): { code?: string; name: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { code: err.code, name: err.name, message: err.message };
  }
  return undefined;
}

describe.each([realEnv, virtualEnv])('misuse of the API (%o)', (makeEnv) => {
  let env: NetEnv;
  afterEach(() => env?.close());

  describe('bad arguments throw as net.connect() does', () => {
    it.each([
      [70000, 'Port should be >= 0 and < 65536. Received type number (70000).'],
      [-1, 'Port should be >= 0 and < 65536. Received type number (-1).'],
      ['abc', "Port should be >= 0 and < 65536. Received type string ('abc')."],
      [1.5, 'Port should be >= 0 and < 65536. Received type number (1.5).'],
      [Number.NaN, 'Port should be >= 0 and < 65536. Received type number (NaN).'],
    ])('port %s: RangeError ERR_SOCKET_BAD_PORT', (port, message) => {
      env = makeEnv();
      expect(thrown(() => env.client.connect({ host: '10.0.0.2', port: port as number }))).toEqual({ code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError', message });
    });

    it('port of the wrong type: ERR_INVALID_ARG_TYPE; no port: ERR_MISSING_ARGS; host not a string: ERR_INVALID_ARG_TYPE', () => {
      env = makeEnv();
      expect(thrown(() => env.client.connect({ host: '10.0.0.2', port: true as unknown as number }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect(thrown(() => env.client.connect({ host: '10.0.0.2' } as never))).toMatchObject({ code: 'ERR_MISSING_ARGS', name: 'TypeError' });
      expect(thrown(() => env.client.connect({ host: 5 as unknown as string, port: 80 }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect(thrown(() => env.client.connect({ host: '10.0.0.2', port: 80, localAddress: 'nope' }))).toEqual({ code: 'ERR_INVALID_IP_ADDRESS', name: 'TypeError', message: 'Invalid IP address: nope' });
    });

    it('a port given as a numeric string works, as in Node', async () => {
      env = makeEnv();
      env.server.createServer().listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: '7' as unknown as number });
      await env.settle(() => !c.connecting);
      expect(c.remotePort).toBe(7);
    });

    it('port 0 is allowed, and refused by the peer (ECONNREFUSED), as in Node', async () => {
      env = makeEnv();
      const c = env.client.connect({ host: '10.0.0.2', port: 0 });
      const seen = record(c);
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(seen).toEqual([['error', 'ECONNREFUSED'], ['close', 'true']]);
    });

    it('a host that is not an address: an ENOTFOUND error event (tcplab does not resolve names)', async () => {
      env = makeEnv();
      const c = env.client.connect({ host: 'not a host!', port: 80 });
      const errors: NodeJS.ErrnoException[] = [];
      c.on('error', (e) => errors.push(e));
      const seen = record(c, ['close']);
      await env.settle(() => seen.length > 0);
      expect(errors.map((e) => [e.code, e.syscall])).toEqual([['ENOTFOUND', 'getaddrinfo']]);
      expect(errors[0]!.message).toMatch(/not a host!.*IPv4 or IPv6 address/);
    });
  });

  describe('listen()', () => {
    it.each([
      [70000, 'options.port should be >= 0 and < 65536. Received type number (70000).'],
      [-1, 'options.port should be >= 0 and < 65536. Received type number (-1).'],
      ['abc', "options.port should be >= 0 and < 65536. Received type string ('abc')."],
    ])('port %s: RangeError ERR_SOCKET_BAD_PORT', (port, message) => {
      env = makeEnv();
      expect(thrown(() => env.server.createServer().listen({ port: port as number }))).toEqual({ code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError', message });
    });

    it('no port: ERR_INVALID_ARG_VALUE', () => {
      env = makeEnv();
      expect(thrown(() => env.server.createServer().listen({} as never))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' });
    });

    it('a used port: an EADDRINUSE error event; an address the stack does not have: EADDRNOTAVAIL', async () => {
      env = makeEnv();
      env.server.createServer().listen({ port: 12 });
      const second = env.server.createServer().listen({ port: 12 });
      const [inUse] = (await once(second, 'error')) as [NodeJS.ErrnoException];
      expect([inUse.code, inUse.syscall]).toEqual(['EADDRINUSE', 'listen']);
      const elsewhere = env.server.createServer().listen({ port: 13, host: '10.9.9.9' });
      const [notOurs] = (await once(elsewhere, 'error')) as [NodeJS.ErrnoException];
      expect(notOurs.code).toBe('EADDRNOTAVAIL');
    });

    it('listening twice throws ERR_SERVER_ALREADY_LISTEN', async () => {
      env = makeEnv();
      const s = env.server.createServer().listen({ port: 14 });
      await once(s, 'listening');
      expect(thrown(() => s.listen({ port: 15 }))).toMatchObject({ code: 'ERR_SERVER_ALREADY_LISTEN' });
    });

    it('close() of a server that is not running: the callback gets ERR_SERVER_NOT_RUNNING, and close is emitted', async () => {
      env = makeEnv();
      const s = env.server.createServer();
      const seen = record(s, ['close']);
      let cbError: NodeJS.ErrnoException | undefined;
      s.close((e) => (cbError = e as NodeJS.ErrnoException));
      await env.settle(() => seen.length > 0);
      expect(cbError?.code).toBe('ERR_SERVER_NOT_RUNNING');
      expect(seen).toEqual([['close', '']]);
    });
  });

  describe('setTimeout()', () => {
    it.each([
      [-1, 'ERR_OUT_OF_RANGE', 'RangeError'],
      [Number.NaN, 'ERR_OUT_OF_RANGE', 'RangeError'],
      [Number.POSITIVE_INFINITY, 'ERR_OUT_OF_RANGE', 'RangeError'],
      ['x', 'ERR_INVALID_ARG_TYPE', 'TypeError'],
    ])('msecs %s: %s', (msecs, code, name) => {
      env = makeEnv();
      const c = env.client.connect({ host: '10.0.0.2', port: 9 });
      c.on('error', () => undefined);
      expect(thrown(() => c.setTimeout(msecs as number))).toMatchObject({ code, name });
    });

    it('a callback that is not a function: ERR_INVALID_ARG_TYPE', () => {
      env = makeEnv();
      const c = env.client.connect({ host: '10.0.0.2', port: 9 });
      c.on('error', () => undefined);
      expect(thrown(() => c.setTimeout(10, 'x' as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    });
  });

  describe('writes', () => {
    async function connected(): Promise<Socket> {
      env.server.createServer((s) => s.resume()).listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      await env.settle(() => !c.connecting);
      return c;
    }

    it('write after end: the callback and an error event get ERR_STREAM_WRITE_AFTER_END, then close', async () => {
      env = makeEnv();
      const c = await connected();
      const seen = record(c, ['error', 'close']);
      let cb: string | undefined;
      c.end('a');
      c.write('b', (e) => (cb = (e as NodeJS.ErrnoException | null)?.code));
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(cb).toBe('ERR_STREAM_WRITE_AFTER_END');
      expect(seen).toEqual([['error', 'ERR_STREAM_WRITE_AFTER_END'], ['close', 'true']]);
    });

    it('write after destroy: the callback gets ERR_STREAM_DESTROYED, no error event', async () => {
      env = makeEnv();
      const c = await connected();
      const seen = record(c, ['error', 'close']);
      let cb: string | undefined;
      c.destroy();
      c.write('b', (e) => (cb = (e as NodeJS.ErrnoException | null)?.code));
      await env.settle(() => cb !== undefined && seen.length > 0);
      expect(cb).toBe('ERR_STREAM_DESTROYED');
      expect(seen).toEqual([['close', 'false']]);
    });

    it('write of a number or null throws as a stream does', async () => {
      env = makeEnv();
      const c = await connected();
      expect(thrown(() => c.write(5 as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      expect(thrown(() => c.write(null as never))).toMatchObject({ code: 'ERR_STREAM_NULL_VALUES' });
    });
  });

  describe('connect() on a socket that is connecting or connected', () => {
    it('while connecting: EALREADY as an error event', async () => {
      env = makeEnv();
      env.server.createServer().listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      const seen = record(c, ['error', 'close']);
      c.connect({ host: '10.0.0.2', port: 7 });
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(seen).toEqual([['error', 'EALREADY'], ['close', 'true']]);
    });

    it('once connected: EISCONN as an error event', async () => {
      env = makeEnv();
      env.server.createServer((s) => s.resume()).listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      await env.settle(() => !c.connecting);
      const seen = record(c, ['error', 'close']);
      c.connect({ host: '10.0.0.2', port: 7 });
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(seen).toEqual([['error', 'EISCONN'], ['close', 'true']]);
    });
  });

  describe('closing early', () => {
    it('destroy during connect: close without an error; the half-open connection is gone on both sides', async () => {
      env = makeEnv();
      env.server.createServer().listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      const seen = record(c);
      c.destroy();
      await env.settle(() => seen.length > 0);
      expect(seen).toEqual([['close', 'false']]);
      // The SYN was on its way: the server's SYN-ACK meets no connection and gets RST.
      await env.settle(() => env.client.stack.tcp.connections.size === 0 && env.server.stack.tcp.connections.size === 0, 60_000);
    });

    it('destroy(err) during connect: that error, then close', async () => {
      env = makeEnv();
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      const seen = record(c);
      c.destroy(new Error('mine'));
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(seen).toEqual([['error', 'mine'], ['close', 'true']]);
    });

    it('end during connect: connect, then the data, then the FIN (finish), then close', async () => {
      env = makeEnv();
      let got = '';
      let serverEnded = false;
      env.server.createServer((s) => {
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => (serverEnded = true));
      }).listen({ port: 7 });
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      const seen = record(c);
      c.end('hello');
      c.resume();
      await env.settle(() => seen.some(([n]) => n === 'close'));
      expect(seen).toEqual([['connect', ''], ['finish', ''], ['close', 'false']]);
      expect([got, serverEnded]).toEqual(['hello', true]);
    });

    it('resetAndDestroy during connect: close, no error; on a socket that never connected: ERR_SOCKET_CLOSED', async () => {
      env = makeEnv();
      const c = env.client.connect({ host: '10.0.0.2', port: 7 });
      const seen = record(c);
      c.resetAndDestroy();
      await env.settle(() => seen.length > 0);
      expect(seen).toEqual([['close', 'false']]);
      const never = env.client.connect({ host: 'nowhere', port: 7 });
      const neverSeen = record(never);
      await env.settle(() => neverSeen.some(([n]) => n === 'close'));
      never.resetAndDestroy();
      expect(neverSeen[0]).toEqual(['error', 'ENOTFOUND']);
    });
  });

  it('a graceful close delivers every written byte before the FIN', async () => {
    env = makeEnv();
    const total = 6_000_000; // more than the receive buffer (it grows only as the server reads)
    const hash = createHash('sha256');
    let beforeEnd = -1;
    let received = 0;
    let server: Socket | undefined;
    env.server.createServer((s) => {
      server = s;
      // The server reads nothing at first: the client's data waits in its buffers behind a
      // zero window when end() is called.
      s.pause();
      s.on('data', (d: Buffer) => {
        hash.update(d);
        received += d.length;
      });
      s.on('end', () => (beforeEnd = received));
    }).listen({ port: 7 });
    const c = env.client.connect({ host: '10.0.0.2', port: 7 });
    for (let at = 0; at < total; at += 100_000) c.write(Buffer.from(patternBytes(100_000, at)));
    c.end();
    // The client learned a zero window (the server may keep less than an MSS of its last offer,
    // which the client does not split a segment to fill).
    await env.settle(() => server !== undefined && c.endpoint!.connection.sndWnd === 0 && c.endpoint!.connection.sendQueued > 0, 600_000);
    // end() was called: the FIN waits behind data the zero window holds back.
    expect(c.endpoint!.connection.sendQueued).toBeGreaterThan(0);
    expect(server!.endpoint!.connection.peerClosed).toBe(false);
    server!.resume();
    await env.settle(() => beforeEnd >= 0, 600_000);
    expect(beforeEnd).toBe(total);
    expect(hash.digest('hex')).toBe(patternSha256(total));
  }, 60_000);
});

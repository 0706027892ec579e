// The Node-shaped API over two in-process stacks: the same tests in real time and in
// virtual time.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { patternBytes, patternSha256 } from '../../../src/lab/pattern.js';
import type { Socket } from '../../../src/net/socket.js';
import { realEnv, virtualEnv, type NetEnv } from './env.js';

describe.each([realEnv, virtualEnv])('net API (%o)', (makeEnv) => {
  let env: NetEnv;
  afterEach(() => env?.close());

  it('echoes 2 MB through pipe() both ways, byte-exact', async () => {
    env = makeEnv();
    env.server.createServer((s) => s.pipe(s)).listen({ port: 7 });
    const client = env.client.connect({ host: '10.0.0.2', port: 7 });
    const total = 2_000_000;
    const hash = createHash('sha256');
    let received = 0;
    client.on('data', (d: Buffer) => {
      hash.update(d);
      received += d.length;
    });
    let connected = false;
    client.on('connect', () => (connected = true));
    await env.settle(() => connected);
    expect([client.remoteAddress, client.remotePort, client.localAddress]).toEqual(['10.0.0.2', 7, '10.0.0.1']);
    const source = Readable.from((function* () {
      for (let at = 0; at < total; at += 65536) yield Buffer.from(patternBytes(Math.min(65536, total - at), at));
    })());
    source.pipe(client);
    await env.settle(() => received === total);
    expect(hash.digest('hex')).toBe(patternSha256(total));
    expect(client.bytesWritten).toBe(total);
    expect(client.bytesRead).toBe(total);
  });

  it('applies backpressure: a server that does not read closes its window, the client buffers, then all arrives', async () => {
    env = makeEnv();
    let serverSocket: Socket | undefined;
    env.server.createServer((s) => {
      serverSocket = s;
      s.pause();
    }).listen({ port: 9 });
    const client = env.client.connect({ host: '10.0.0.2', port: 9 });
    await env.settle(() => serverSocket !== undefined);
    const chunk = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    let full = false;
    while (!full && sent < 64 * 1024 * 1024) {
      full = !client.write(chunk);
      sent += chunk.length;
      if (!full) await env.settle(() => true);
    }
    expect(full).toBe(true);
    // The engine's receive buffer fills: the server advertises a zero window (what remains of
    // its last offer may be less than an MSS, which the client does not split a segment to fill).
    const clientConn = client.endpoint!.connection;
    await env.settle(() => clientConn.sndWnd === 0 && clientConn.sendQueued > 0);
    expect(serverSocket!.endpoint!.connection.rcvWnd).toBeLessThan(clientConn.sendMss);
    let got = 0;
    serverSocket!.on('data', (d: Buffer) => (got += d.length));
    serverSocket!.resume();
    await env.settle(() => got === sent, 600_000);
    expect(got).toBe(sent);
  });

  it('half-closes: the client ends, the server still writes, both see end', async () => {
    env = makeEnv();
    let serverEnded = false;
    env.server.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', () => undefined);
      s.on('end', () => {
        serverEnded = true;
        expect(s.endpoint!.connection.stateName).toBe('CLOSE-WAIT');
        s.end('bye after your FIN');
      });
    }).listen({ port: 10 });
    const client = env.client.connect({ host: '10.0.0.2', port: 10 }, () => client.end('hello'));
    const chunks: Buffer[] = [];
    client.on('data', (d: Buffer) => chunks.push(d));
    let clientEnded = false;
    client.on('end', () => (clientEnded = true));
    let closed = false;
    client.on('close', () => (closed = true));
    await env.settle(() => serverEnded && clientEnded);
    expect(Buffer.concat(chunks).toString()).toBe('bye after your FIN');
    // Both directions done: the socket closes by itself, and our side waits in TIME-WAIT.
    await env.settle(() => closed);
    expect(env.client.stack.tcp.connections.size).toBe(0);
    expect(env.client.stack.tcp.sockets(env.now()).map((r) => r.state)).toEqual(['TIME-WAIT']);
    expect(client.tcpState).toBe('TIME-WAIT');
  });

  it('reports ECONNREFUSED as an error event with Node\'s code and a message that says why', async () => {
    env = makeEnv();
    const client = env.client.connect({ host: '10.0.0.2', port: 1 });
    let error: NodeJS.ErrnoException | undefined;
    client.on('error', (e) => (error = e));
    await env.settle(() => error !== undefined);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '10.0.0.2', port: 1 });
    expect(error!.message).toMatch(/^connect ECONNREFUSED 10\.0\.0\.2:1 \(nothing listens there/);
  });

  it('resetAndDestroy() sends RST: the peer gets ECONNRESET', async () => {
    env = makeEnv();
    let serverError: NodeJS.ErrnoException | undefined;
    env.server.createServer((s) => s.on('error', (e) => (serverError = e))).listen({ port: 11 });
    const client = env.client.connect({ host: '10.0.0.2', port: 11 });
    await env.settle(() => !client.connecting && client.readyState === 'open');
    await env.settle(() => env.server.stack.tcp.connections.size === 1 && [...env.server.stack.tcp.connections.values()][0].owner !== undefined);
    client.resetAndDestroy();
    await env.settle(() => serverError !== undefined);
    expect(serverError!.code).toBe('ECONNRESET');
  });

  it('listen on a used port emits EADDRINUSE', async () => {
    env = makeEnv();
    env.server.createServer().listen({ port: 12 });
    const second = env.server.createServer().listen({ port: 12 });
    const [err] = (await once(second, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toMatch(/listen EADDRINUSE 0\.0\.0\.0:12/);
  });

  it('with accepting paused, backlog 1 admits two connections and the third waits in SYN-SENT', async () => {
    env = makeEnv();
    const accepted: Socket[] = [];
    const server = env.server.createServer({ pauseAccepting: true }, (s) => accepted.push(s)).listen({ port: 13, backlog: 1 });
    // One after another, as the seed's clients: two complete, the third finds the queue full.
    const clients: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const c = env.client.connect({ host: '10.0.0.2', port: 13 });
      clients.push(c);
      await env.settle(() => i === 2 || !c.connecting);
    }
    await env.settle(() => env.server.stack.counters.get('TcpExtListenOverflows') > 0);
    expect(server.acceptQueueLength).toBe(2);
    expect(clients.map((c) => c.tcpState).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'SYN-SENT']);
    expect(env.server.stack.counters.get('TcpExtListenOverflows')).toBeGreaterThan(0);
    server.resumeAccepting();
    await env.settle(() => accepted.length === 3, 20_000);
    expect(clients.every((c) => c.tcpState === 'ESTABLISHED')).toBe(true);
  });

  it('serves node:http and makes http.request go through tcplab', async () => {
    env = makeEnv();
    const httpServer = http.createServer((req, res) => res.end(`hello ${req.url}`));
    env.server.createServer((s) => httpServer.emit('connection', s)).listen({ port: 80 });
    let body = '';
    let done = false;
    const req = http.request({ host: '10.0.0.2', port: 80, path: '/tcplab', createConnection: env.client.createConnection as never }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (done = true));
    });
    req.end();
    await env.settle(() => done);
    expect(body).toBe('hello /tcplab');
  });

  it('pipeline() carries a stream to a sink and finishes', async () => {
    env = makeEnv();
    let got = 0;
    env.server.createServer((s) => {
      void pipeline(s, new Writable({ write: (c: Buffer, _e, cb) => ((got += c.length), cb()) }));
    }).listen({ port: 14 });
    const client = env.client.connect({ host: '10.0.0.2', port: 14 });
    let finished = false;
    void pipeline(Readable.from([Buffer.alloc(100_000, 7), Buffer.alloc(50_000, 8)]), client).then(() => (finished = true));
    await env.settle(() => finished && got === 150_000);
  });
});

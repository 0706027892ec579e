// The control server: a running tcplab answers `tcplab ss`, `tcplab nstat` and `tcplab trace`
// from another terminal over a unix socket in the user's runtime directory
// (src/inspect/runtime-dir.ts), with the protocol of control-protocol.ts.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { formatIpAddress } from '../wire/address.js';
import type { Stack } from '../stack/stack.js';
import { MAX_REQUEST_LINE, parseRequest, refusal, type ControlAnswer, type ControlRequest } from './control-protocol.js';
import { NstatHistory } from './nstat.js';
import { ensureRuntimeDir, socketPath } from './runtime-dir.js';
import { socketView } from './socket-view.js';
import { traceLine } from './trace-format.js';

export interface ControlServerOptions {
  /** What this tcplab is (serve, connect, tour, scenario...): the socket is <name>-<pid>.sock. */
  readonly name: string;
  readonly stack: Stack;
  /** The stack's clock (the driver's), in ms. */
  readonly now: () => number;
  /** Default: the per-user runtime directory. */
  readonly dir?: string;
}

/** A follower's unsent output beyond this is dropped, and the gap reported as a "lost" line. */
const FOLLOW_BUFFER_LIMIT = 1 << 20;

export class ControlServer {
  readonly path: string;
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private readonly nstat = new NstatHistory();
  private closed = false;
  private readonly onExit = (): void => rmSync(this.path, { force: true });

  private constructor(private readonly options: ControlServerOptions) {
    const dir = ensureRuntimeDir(options.dir);
    this.path = socketPath(dir, options.name);
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listen on <dir>/<name>-<pid>.sock; resolves once `tcplab ss` can reach it. */
  static async start(options: ControlServerOptions): Promise<ControlServer> {
    const server = new ControlServer(options);
    // A socket file of this very pid is left from an earlier life of the pid: not ours to keep.
    rmSync(server.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(server.path, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    // The socket must not outlive the process, whatever way it exits.
    process.on('exit', server.onExit);
    server.server.unref();
    return server;
  }

  /** Stop answering and remove the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }

  /** The answer to a request that is answered in one line (every op but trace). */
  answer(request: ControlRequest): ControlAnswer {
    const stack = this.options.stack;
    const now = this.options.now();
    switch (request.op) {
      case 'hello':
        return { ok: true, name: this.options.name, pid: process.pid, addresses: stack.addresses.map(formatIpAddress), now };
      case 'ss':
        return { ok: true, now, sockets: stack.tcp.sockets(now).map((row) => socketView(row, now)) };
      case 'nstat':
        return { ok: true, counters: this.nstat.read(stack.counters.snapshot(), request.options) };
      case 'trace':
        return { ok: true, total: stack.events.total, held: Math.min(stack.events.total, stack.events.capacity), now };
    }
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clients.delete(socket));
    let buffered = '';
    const onData = (chunk: string): void => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) {
        if (buffered.length > MAX_REQUEST_LINE) this.finish(socket, refusal(`a request line is at most ${MAX_REQUEST_LINE} bytes`));
        return;
      }
      socket.off('data', onData);
      const request = parseRequest(buffered.slice(0, nl));
      if ('ok' in request) this.finish(socket, request);
      else if (request.op === 'trace') this.trace(socket, request.follow ?? false, request.limit);
      else this.finish(socket, this.answer(request));
    };
    socket.on('data', onData);
  }

  private finish(socket: Socket, answer: ControlAnswer): void {
    socket.end(`${JSON.stringify(answer)}\n`);
  }

  /** The recent events, then (following) every new one until the client hangs up. */
  private trace(socket: Socket, follow: boolean, limit: number | undefined): void {
    const events = this.options.stack.events;
    socket.write(`${JSON.stringify(this.answer({ op: 'trace' }))}\n`);
    for (const entry of events.recent(limit)) socket.write(`${traceLine(entry)}\n`);
    if (!follow) {
      socket.end();
      return;
    }
    let lost = 0;
    const unsubscribe = events.subscribe((event, local, remote) => {
      if (socket.writableLength > FOLLOW_BUFFER_LIMIT) {
        lost++;
        return;
      }
      if (lost > 0) {
        socket.write(`${JSON.stringify({ type: 'lost', count: lost, at: event.at })}\n`);
        lost = 0;
      }
      socket.write(`${traceLine({ event, local, remote })}\n`);
    });
    socket.on('close', unsubscribe);
  }
}

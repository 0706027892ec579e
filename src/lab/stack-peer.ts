// A second tcplab stack playing the kernel's part, for machines where no TUN device or private
// namespace can be had: the same socket calls as the Python kernel peer (listen without
// accepting, accept one at a time, nonblocking connect, linger-0 close, shutdown, pattern
// streams), and its socket table in `ss -tan -o` form for the watch. tcplab mirrors Linux's
// defaults, so the experiments read the same; what only the real kernel can show (curl, ab,
// ping, sysctls) is skipped in this mode.
import { createHash } from 'node:crypto';
import type { NetStack } from '../net/net-stack.js';
import type { Server } from '../net/server.js';
import type { Socket } from '../net/socket.js';
import type { SocketRow } from '../stack/socket-row.js';
import { socketView } from '../inspect/socket-view.js';
import { ssTimerTime } from '../inspect/ss-timer.js';
import type { KernelSocketRow } from './kernel-ss.js';
import { KernelPeerError } from './kernel-peer.js';
import { patternBytes } from './pattern.js';
import type { Peer, PeerSocket, PeerSocketRows } from './peer-api.js';

/** One connected socket of the peer, with what it received and not yet read. */
interface Conn {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  eof: boolean;
  error: string | undefined;
  connected: boolean;
  wake: (() => void) | undefined;
}

interface Listening {
  readonly server: Server;
  readonly accepted: Socket[];
  wake: (() => void) | undefined;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'EIO';
}

export class StackPeer implements Peer {
  private readonly conns = new Map<number, Conn>();
  private readonly listeners = new Map<number, Listening>();
  private next = 1;

  constructor(readonly net: NetStack) {}

  async listen(port: number, options: { host?: string; backlog?: number; reuseaddr?: boolean } = {}): Promise<PeerSocket> {
    const server = this.net.createServer({ allowHalfOpen: true, pauseAccepting: true });
    const entry: Listening = { server, accepted: [], wake: undefined };
    // accept(2) takes one connection at a time: stop after each.
    server.on('connection', (socket: Socket) => {
      server.pauseAccepting();
      entry.accepted.push(socket);
      entry.wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: Error) => reject(new KernelPeerError(errorCode(err), err.message)));
      server.listen({ port, host: options.host, backlog: options.backlog ?? 128, reuseAddress: options.reuseaddr ?? true }, () => resolve());
    });
    const sock = this.next++;
    this.listeners.set(sock, entry);
    return { sock };
  }

  async accept(listener: PeerSocket, timeoutSeconds = 30): Promise<PeerSocket & { peer: [string, number] }> {
    const entry = this.listeners.get(listener.sock);
    if (!entry) throw new KernelPeerError('EBADF', `no listening socket ${listener.sock}`);
    if (entry.accepted.length === 0) {
      entry.server.resumeAccepting();
      await this.waitFor(entry, () => entry.accepted.length > 0, timeoutSeconds, 'accept');
    }
    const socket = entry.accepted.shift()!;
    const sock = this.track(socket, true);
    return { sock, peer: [socket.remoteAddress ?? '', socket.remotePort ?? 0] };
  }

  async connect(host: string, port: number, options: { timeoutSeconds?: number; nonblocking?: boolean; bind?: [string, number] } = {}): Promise<PeerSocket & { local: [string, number] }> {
    const socket = this.net.connect({ host, port, localAddress: options.bind?.[0], localPort: options.bind?.[1], allowHalfOpen: true });
    const sock = this.track(socket, false);
    if (!options.nonblocking) await this.waitConnected({ sock }, options.timeoutSeconds ?? 150);
    return { sock, local: [socket.localAddress ?? '', socket.localPort ?? 0] };
  }

  async waitConnected(s: PeerSocket, timeoutSeconds = 5): Promise<void> {
    const c = this.conn(s);
    await this.waitFor(c, () => c.connected || c.error !== undefined, timeoutSeconds, 'connect');
    if (!c.connected && c.error) throw new KernelPeerError(c.error, `connect: ${c.error}`);
  }

  async send(s: PeerSocket, data: string | Uint8Array): Promise<number> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    await this.write(this.conn(s), bytes);
    return bytes.length;
  }

  async sendPattern(s: PeerSocket, bytes: number, options: { start?: number } = {}): Promise<string> {
    const c = this.conn(s);
    const hash = createHash('sha256');
    const start = options.start ?? 0;
    for (let at = 0; at < bytes; at += 65536) {
      const block = patternBytes(Math.min(65536, bytes - at), start + at);
      hash.update(block);
      await this.write(c, block);
    }
    return hash.digest('hex');
  }

  async recv(s: PeerSocket, max = 65536, timeoutSeconds = 30): Promise<{ data: Buffer; eof: boolean }> {
    const c = this.conn(s);
    await this.waitFor(c, () => c.chunks.length > 0 || c.eof || c.error !== undefined, timeoutSeconds, 'recv');
    if (c.chunks.length === 0 && c.error && !c.eof) throw new KernelPeerError(c.error, `recv: ${c.error}`);
    const all = Buffer.concat(c.chunks);
    c.chunks.length = 0;
    if (all.length > max) c.chunks.push(all.subarray(max));
    return { data: all.subarray(0, max), eof: all.length === 0 && c.eof };
  }

  async recvAll(s: PeerSocket, options: { bytes?: number; timeoutSeconds?: number } = {}): Promise<{ received: number; sha256: string }> {
    const c = this.conn(s);
    const hash = createHash('sha256');
    let received = 0;
    const want = options.bytes ?? Infinity;
    while (received < want) {
      await this.waitFor(c, () => c.chunks.length > 0 || c.eof || c.error !== undefined, options.timeoutSeconds ?? 120, 'recv');
      if (c.chunks.length === 0) break;
      let chunk = c.chunks.shift()!;
      if (received + chunk.length > want) {
        c.chunks.unshift(chunk.subarray(want - received));
        chunk = chunk.subarray(0, want - received);
      }
      hash.update(chunk);
      received += chunk.length;
    }
    return { received, sha256: hash.digest('hex') };
  }

  async socketError(s: PeerSocket): Promise<string | undefined> {
    // Like SO_ERROR, also after the stream ended: a RST after both FINs (LAST-ACK) raises no
    // 'error' on a socket already done reading and writing, but the connection records it.
    const c = this.conn(s);
    return c.error ?? c.socket.endpoint?.connection.error;
  }

  async shutdown(s: PeerSocket, how: 'rd' | 'wr' | 'rdwr' = 'wr'): Promise<void> {
    if (how !== 'rd') this.conn(s).socket.end();
  }

  async close(s: PeerSocket, options: { linger0?: boolean } = {}): Promise<void> {
    const listening = this.listeners.get(s.sock);
    if (listening) {
      listening.server.close();
      this.listeners.delete(s.sock);
      return;
    }
    const c = this.conn(s);
    if (options.linger0) c.socket.resetAndDestroy();
    else c.socket.destroy();
    this.conns.delete(s.sock);
  }

  async stop(): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy();
    for (const l of this.listeners.values()) l.server.close();
    this.conns.clear();
    this.listeners.clear();
  }

  /** Its socket table as `ss -tan -o` prints it (for the watch). */
  rows(): PeerSocketRows {
    return async () => {
      const now = this.net.now();
      return this.net.stack.tcp.sockets(now).map((row) => ssRow(row, now));
    };
  }

  private track(socket: Socket, connected: boolean): number {
    const c: Conn = { socket, chunks: [], eof: false, error: undefined, connected, wake: undefined };
    socket.on('connect', () => {
      c.connected = true;
      c.wake?.();
    });
    socket.on('data', (d: Buffer) => {
      c.chunks.push(d);
      c.wake?.();
    });
    socket.on('end', () => {
      c.eof = true;
      c.wake?.();
    });
    socket.on('error', (err: Error) => {
      c.error = errorCode(err);
      c.wake?.();
    });
    const sock = this.next++;
    this.conns.set(sock, c);
    return sock;
  }

  private conn(s: PeerSocket): Conn {
    const c = this.conns.get(s.sock);
    if (!c) throw new KernelPeerError('EBADF', `no socket ${s.sock}`);
    return c;
  }

  private async write(c: Conn, bytes: Uint8Array): Promise<void> {
    if (c.error) throw new KernelPeerError(c.error, `send: ${c.error}`);
    if (!c.socket.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          c.socket.off('drain', done);
          c.socket.off('close', done);
          resolve();
        };
        c.socket.on('drain', done);
        c.socket.on('close', done);
      });
    }
    if (c.error) throw new KernelPeerError(c.error, `send: ${c.error}`);
  }

  private async waitFor(target: { wake: (() => void) | undefined }, ready: () => boolean, timeoutSeconds: number, what: string): Promise<void> {
    if (ready()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        target.wake = undefined;
        reject(new KernelPeerError('ETIMEDOUT', `${what}: nothing within ${timeoutSeconds} s`));
      }, timeoutSeconds * 1000);
      target.wake = () => {
        if (!ready()) return;
        clearTimeout(timer);
        target.wake = undefined;
        resolve();
      };
    });
  }
}

/** One row as the kernel watch reads `ss -tan -o` lines: ss's state names and timer units. */
function ssRow(row: SocketRow, now: number): KernelSocketRow {
  const v = socketView(row, now);
  const endpoint = (address: string | undefined, port: number | string): string => {
    const a = address ?? (v.family === 4 ? '0.0.0.0' : '::');
    return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
  };
  return {
    state: v.state,
    recvQ: v.recvQ,
    sendQ: v.sendQ,
    local: endpoint(v.local.address, v.local.port),
    peer: v.remote ? endpoint(v.remote.address, v.remote.port) : endpoint(undefined, '*'),
    timer: v.timer ? { name: v.timer.kind, time: ssTimerTime(v.timer.remainingMs), count: v.timer.count } : undefined,
  };
}

// A TCP connection on the userspace stack with the surface of Node's net.Socket: a
// stream.Duplex, so pipe(), pipeline() and http run over it unchanged.
//
// Backpressure both ways: a write is not acknowledged to the stream until the engine's
// send buffer took all of it (so write() returns false once Node's own buffer is above the
// high-water mark), and data is pulled from the engine only when the stream wants more, so a
// reader that stops reading closes the advertised window down to zero.
import { Duplex } from 'node:stream';
import { formatIpAddress, ipFamily } from '../wire/address.js';
import type { TcpEndpoint } from '../stack/tcp-endpoint.js';
import { HINTS, argumentError, systemError } from './errors.js';
import type { NetStack } from './net-stack.js';

export interface SocketOptions {
  /** Like net.Socket: when false (the default), the end of the peer's data ends ours too. */
  allowHalfOpen?: boolean;
}

export interface SocketConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  localPort?: number;
}

const READ_CHUNK = 64 * 1024;

type PendingWrite = { data: Uint8Array; offset: number; callback: (error?: Error | null) => void };

export class Socket extends Duplex {
  #net: NetStack;
  #ep: TcpEndpoint | undefined;
  #pending: PendingWrite | undefined;
  #wantRead = false;
  #pushedEnd = false;
  #connecting = false;
  #connectTarget: { host: string; port: number } | undefined;
  #timeoutMs = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  bytesRead = 0;
  #bytesWritten = 0;

  /** @internal Sockets are made by NetStack.connect() and by servers. */
  constructor(net: NetStack, options: SocketOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, decodeStrings: true });
    this.#net = net;
  }

  // -------------------------------------------------------------------------------------------
  // What net.Socket shows

  get connecting(): boolean {
    return this.#connecting;
  }

  get pending(): boolean {
    return this.#ep === undefined || this.#connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.#connecting) return 'opening';
    if (this.destroyed || this.#ep === undefined) return 'closed';
    const readable = this.readable && !this.#pushedEnd;
    if (readable && this.writable) return 'open';
    if (readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  get localAddress(): string | undefined {
    return this.#ep ? formatIpAddress(this.#ep.local.address) : undefined;
  }

  get localPort(): number | undefined {
    return this.#ep?.local.port;
  }

  get remoteAddress(): string | undefined {
    return this.#ep ? formatIpAddress(this.#ep.remote.address) : undefined;
  }

  get remotePort(): number | undefined {
    return this.#ep?.remote.port;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.#ep ? (ipFamily(this.#ep.remote.address) === 4 ? 'IPv4' : 'IPv6') : undefined;
  }

  /** The connection's state, in RFC 9293's words ('ESTABLISHED', 'CLOSE-WAIT'...): TIME-WAIT
   *  while the stack's TIME-WAIT entry lasts, then CLOSED. */
  get tcpState(): string {
    return this.#ep?.stateName ?? 'CLOSED';
  }

  /** @internal The stack's endpoint (the inspect layer and the lab read it). */
  get endpoint(): TcpEndpoint | undefined {
    return this.#ep;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (!this.#ep) return {};
    return { address: formatIpAddress(this.#ep.local.address), family: ipFamily(this.#ep.local.address) === 4 ? 'IPv4' : 'IPv6', port: this.#ep.local.port };
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  /** Open a connection (NetStack.connect calls this). */
  connect(options: SocketConnectOptions, onConnect?: () => void): this {
    if (this.#ep !== undefined || this.#connecting) {
      const err = new Error('socket is already connected or connecting: make a new Socket for another connection');
      (err as NodeJS.ErrnoException).code = 'ERR_SOCKET_CONNECTING';
      throw err;
    }
    if (typeof options?.host !== 'string') throw argumentError('type', 'options.host must be a string with an IPv4 or IPv6 address');
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw argumentError('range', `options.port must be an integer in 1..65535; received ${String(options.port)}`);
    }
    if (onConnect) this.once('connect', onConnect);
    this.#connecting = true;
    this.#connectTarget = { host: options.host, port: options.port };
    let ep: TcpEndpoint;
    try {
      ep = this.#net.stack.connect(options, this.#net.now());
    } catch (err) {
      this.#connecting = false;
      const e = err as NodeJS.ErrnoException;
      // Like net.Socket, a failed connect is reported as an 'error' event, not thrown.
      process.nextTick(() => this.destroy(e.code && !e.code.startsWith('ERR_') ? systemError(e.code, 'connect', options.host, options.port, e.message) : e));
      return this;
    }
    this.attach(ep);
    this.#net.flush();
    return this;
  }

  setNoDelay(noDelay = true): this {
    this.#ep?.connection.setNoDelay(noDelay, this.#net.now());
    this.#net.afterUserCall(this.#ep);
    return this;
  }

  setKeepAlive(enable = false, initialDelayMs = 0): this {
    this.#ep?.connection.setKeepAlive(enable, initialDelayMs > 0 ? initialDelayMs : undefined, this.#net.now());
    this.#net.afterUserCall(this.#ep);
    return this;
  }

  /** Emit 'timeout' after `ms` without activity (real time), as net.Socket; 0 disables. */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touchIdle();
    return this;
  }

  /** Abortive close: RST to the peer (SO_LINGER 0), then destroy. */
  resetAndDestroy(): this {
    // In TIME-WAIT the connection is the stack's entry now, no longer the socket's to abort.
    if (this.#ep && this.#ep.timeWait === undefined) {
      this.#ep.connection.abort(this.#net.now());
      this.#net.afterUserCall(this.#ep);
    }
    return this.destroy();
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // -------------------------------------------------------------------------------------------
  // Wiring to the stack

  /** @internal */
  attach(ep: TcpEndpoint): void {
    this.#ep = ep;
    ep.owner = this;
    this.update();
  }

  /** @internal Something happened to the connection: catch up with it. */
  update(): void {
    const ep = this.#ep;
    if (!ep || this.destroyed) return;
    const c = ep.connection;
    if (this.#connecting) {
      if (c.stateName === 'SYN-SENT' || c.stateName === 'SYN-RECEIVED') return;
      if (c.stateName !== 'CLOSED') {
        this.#connecting = false;
        this.touchIdle();
        this.emit('connect');
        this.emit('ready');
      }
    }
    this.writePending();
    this.pull();
    if (c.stateName === 'CLOSED' && c.error !== undefined) {
      const target = this.#connectTarget;
      // A connect that never completed fails in `connect` (RST or an ICMP error, as Node says).
      const syscall = target && (c.error === 'ECONNREFUSED' || this.#connecting) ? 'connect' : c.error === 'EPIPE' ? 'write' : 'read';
      const err = systemError(c.error, syscall, target?.host ?? this.remoteAddress, target?.port ?? this.remotePort, HINTS[c.error]);
      // Done reading (EOF) and writing: nothing is pending that the error could fail, so Node
      // on Linux would never report it (a RST in LAST-ACK); SO_ERROR still has it.
      const idle = this.#pushedEnd && this.writableFinished;
      this.destroy(idle ? undefined : err);
    }
  }

  private pull(): void {
    const ep = this.#ep;
    if (!ep || this.#pushedEnd) return;
    const c = ep.connection;
    let pulled = false;
    while (this.#wantRead && c.readable > 0) {
      // Up to 64 KiB at a time, as net.Socket reads (libuv's 64 KiB buffers): a quarter of the
      // copies, allocations and window updates that 16 KiB reads would cost.
      const data = c.read(Math.max(this.readableHighWaterMark, READ_CHUNK), this.#net.now());
      if (data.length === 0) break;
      pulled = true;
      this.bytesRead += data.length;
      this.#wantRead = this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    if (pulled) {
      this.touchIdle();
      // Reading opened the window: let the engine tell the peer.
      this.#net.afterUserCall(ep);
    }
    if (c.peerClosed && c.readable === 0 && !this.#pushedEnd) {
      this.#pushedEnd = true;
      this.push(null);
    }
  }

  private writePending(): void {
    const p = this.#pending;
    const ep = this.#ep;
    if (!p || !ep || this.#connecting) return;
    const result = ep.connection.write(p.offset === 0 ? p.data : p.data.subarray(p.offset), this.#net.now());
    if (typeof result !== 'number') {
      this.#pending = undefined;
      p.callback(systemError(result.error, 'write', this.remoteAddress, this.remotePort, HINTS[result.error]));
      return;
    }
    p.offset += result;
    this.#bytesWritten += result;
    // Settle our own state before the stack runs: sending may re-enter update().
    const done = p.offset >= p.data.length;
    if (done) this.#pending = undefined;
    if (result > 0) this.#net.afterUserCall(ep);
    if (done) {
      this.touchIdle();
      p.callback();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#pending = { data: chunk, offset: 0, callback };
    this.writePending();
  }

  override _read(): void {
    this.#wantRead = true;
    this.pull();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const ep = this.#ep;
    if (!ep) {
      callback();
      return;
    }
    const finish = (): void => {
      ep.connection.shutdownWrite(this.#net.now());
      this.#net.afterUserCall(ep);
      callback();
    };
    if (this.#connecting) this.once('connect', finish);
    else finish();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const ep = this.#ep;
    if (ep && ep.timeWait === undefined && ep.connection.stateName !== 'CLOSED') {
      // close(2): FIN after queued data (RST when unread data remains, as Linux does).
      ep.connection.close(this.#net.now());
      this.#net.afterUserCall(ep);
    }
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.callback(error ?? undefined);
    this.#connecting = false;
    callback(error);
  }

  private touchIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#idleTimer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#idleTimer.unref();
    }
  }
}

// A TCP connection on the userspace stack with the surface of Node's net.Socket: a
// stream.Duplex, so pipe(), pipeline() and http run over it unchanged.
//
// Backpressure both ways: a write is not acknowledged to the stream until the engine's
// send buffer took all of it (so write() returns false once Node's own buffer is above the
// high-water mark), and data is pulled from the engine only when the stream wants more, so a
// reader that stops reading closes the advertised window down to zero.
import { Duplex } from 'node:stream';
import { formatIpAddress, ipFamily, parseIpAddress } from '../wire/address.js';
import type { TcpEndpoint } from '../stack/tcp-endpoint.js';
import { HINTS, systemError } from './errors.js';
import type { NetStack } from './net-stack.js';
import { invalidArgType, invalidIpAddress, missingConnectArgs, nodeError, validateFunction, validatePort, validateTimeout } from './validate.js';

export interface SocketOptions {
  /** Like net.Socket: when false (the default), the end of the peer's data ends ours too. */
  allowHalfOpen?: boolean;
}

export interface SocketConnectOptions {
  /** An IPv4 or IPv6 address (Node's default, localhost, is a name: tcplab does not resolve it). */
  host?: string;
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
  /** setNoDelay/setKeepAlive before there is a connection: applied once there is one. */
  #noDelay: boolean | undefined;
  #keepAlive: { enable: boolean; delay: number } | undefined;
  bytesRead = 0;
  #bytesWritten = 0;

  /** @internal Sockets are made by NetStack.connect() and by servers. */
  constructor(net: NetStack, options: SocketOptions = {}) {
    // 'close' is emitted by _destroy with hadError, as net.Socket does, not by the stream.
    super({ allowHalfOpen: options.allowHalfOpen ?? false, decodeStrings: true, emitClose: false });
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

  /**
   * Open a connection (NetStack.connect calls this). Arguments are checked as net.connect()
   * checks them (ERR_MISSING_ARGS, ERR_INVALID_ARG_TYPE, ERR_SOCKET_BAD_PORT,
   * ERR_INVALID_IP_ADDRESS, thrown); a host that is not an address fails as a name lookup would
   * (an ENOTFOUND error event: tcplab does not resolve names); connecting a socket that is
   * connecting or connected is EALREADY or EISCONN, as connect(2) says.
   */
  connect(options: SocketConnectOptions, onConnect?: () => void): this {
    if (options === null || typeof options !== 'object' || options.port === undefined) throw missingConnectArgs();
    const rawPort: unknown = options.port;
    if (typeof rawPort !== 'number' && typeof rawPort !== 'string') throw invalidArgType('options.port', 'one of type number or string', rawPort);
    const port = validatePort(rawPort);
    const host: unknown = options.host ?? 'localhost';
    if (typeof host !== 'string') throw invalidArgType('hostname', 'of type string', host);
    if (options.localAddress !== undefined && parseIpAddress(options.localAddress) === undefined) throw invalidIpAddress(options.localAddress);
    const localPort = options.localPort === undefined ? undefined : validatePort(options.localPort, 'options.localPort');
    if (this.#connecting || this.#ep !== undefined) {
      const code = this.#connecting ? 'EALREADY' : 'EISCONN';
      const hint = this.#connecting ? 'this socket is already connecting: make a new one for another connection' : 'this socket is already connected: make a new one for another connection';
      const err = systemError(code, 'connect', host, port, hint);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    if (onConnect) this.once('connect', onConnect);
    this.#connecting = true;
    this.#connectTarget = { host, port };
    if (parseIpAddress(host) === undefined) {
      this.#connecting = false;
      const err = systemError('ENOTFOUND', 'getaddrinfo', undefined, undefined, `tcplab does not resolve names: give an IPv4 or IPv6 address, not ${JSON.stringify(host)}`);
      err.message = `getaddrinfo ENOTFOUND ${host} (tcplab does not resolve names: give an IPv4 or IPv6 address)`;
      Object.assign(err, { hostname: host });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    let ep: TcpEndpoint;
    try {
      ep = this.#net.stack.connect({ host, port, localAddress: options.localAddress, localPort }, this.#net.now());
    } catch (err) {
      this.#connecting = false;
      const e = err as NodeJS.ErrnoException;
      // Like net.Socket, a failed connect is reported as an 'error' event, not thrown.
      process.nextTick(() => this.destroy(e.code && !e.code.startsWith('ERR_') ? systemError(e.code, 'connect', host, port, e.message) : e));
      return this;
    }
    this.attach(ep);
    this.#net.flush();
    return this;
  }

  setNoDelay(noDelay = true): this {
    if (!this.#ep) {
      this.#noDelay = noDelay;
      return this;
    }
    this.#ep.connection.setNoDelay(noDelay, this.#net.now());
    this.#net.afterUserCall(this.#ep);
    return this;
  }

  setKeepAlive(enable = false, initialDelayMs = 0): this {
    if (!this.#ep) {
      this.#keepAlive = { enable, delay: initialDelayMs };
      return this;
    }
    this.#ep.connection.setKeepAlive(enable, initialDelayMs > 0 ? initialDelayMs : undefined, this.#net.now());
    this.#net.afterUserCall(this.#ep);
    return this;
  }

  /** Emit 'timeout' after `ms` without activity (real time), as net.Socket; 0 disables.
   *  Node's checks: ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE (negative, NaN, infinite). */
  setTimeout(ms: number, callback?: () => void): this {
    validateTimeout(ms);
    if (callback !== undefined) validateFunction(callback, 'callback');
    this.#timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touchIdle();
    return this;
  }

  /** Abortive close: RST to the peer (SO_LINGER 0), then destroy. A socket that never had a
   *  connection is destroyed with ERR_SOCKET_CLOSED, as net.Socket's. */
  resetAndDestroy(): this {
    if (!this.#ep) return this.destroy(nodeError('ERR_SOCKET_CLOSED', 'Socket is closed'));
    // In TIME-WAIT the connection is the stack's entry now, no longer the socket's to abort.
    if (this.#ep.timeWait === undefined) {
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
    if (this.#noDelay !== undefined) this.setNoDelay(this.#noDelay);
    if (this.#keepAlive !== undefined) this.setKeepAlive(this.#keepAlive.enable, this.#keepAlive.delay);
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
    // net.Socket emits 'close' itself, with whether an error ended it, after the 'error' event
    // (which the stream queued in callback()).
    const hadError = error !== null && error !== undefined;
    process.nextTick(() => this.emit('close', hadError));
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

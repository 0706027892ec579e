// A listening socket with the surface of Node's net.Server, plus what experiments need:
// pauseAccepting()/resumeAccepting() leave connections waiting in the accept queue, the way
// a slow application's would, so the queue fills as in the backlog experiment.
import { EventEmitter } from 'node:events';
import { formatIpAddress } from '../wire/address.js';
import type { Listener } from '../stack/listener.js';
import { StackError } from '../stack/tcp-layer.js';
import { systemError } from './errors.js';
import { invalidArgType, invalidArgValue, nodeError, validatePort } from './validate.js';
import type { NetStack } from './net-stack.js';
import { Socket } from './socket.js';
import { ChurnSet } from '../stack/churn-map.js';

export interface ServerOptions {
  /** Sockets of accepted connections keep their writable side open after the peer's FIN. */
  allowHalfOpen?: boolean;
  /** Start without accepting: connections wait in the accept queue until resumeAccepting(). */
  pauseAccepting?: boolean;
}

export interface ListenOptions {
  port: number;
  /** An address of the stack; default: every IPv4 address (0.0.0.0), or IPv6 with `::`. */
  host?: string;
  /** listen(2)'s backlog (capped by somaxconn). Default 511, as Node. */
  backlog?: number;
  /**
   * SO_REUSEADDR. Default true, as Node's (libuv sets it on every TCP server), so a server can
   * restart while its old connections sit in TIME-WAIT; false shows EADDRINUSE instead.
   */
  reuseAddress?: boolean;
}

export class Server extends EventEmitter {
  #net: NetStack;
  #listener: Listener | undefined;
  #accepting: boolean;
  #connections = new ChurnSet<Socket>();
  #closing = false;
  readonly allowHalfOpen: boolean;

  /** @internal Made by NetStack.createServer(). */
  constructor(net: NetStack, options: ServerOptions = {}) {
    super();
    this.#net = net;
    this.allowHalfOpen = options.allowHalfOpen ?? false;
    this.#accepting = !(options.pauseAccepting ?? false);
  }

  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** @internal */
  get listener(): Listener | undefined {
    return this.#listener;
  }

  /** Listen as net.Server.listen does, with its argument errors (ERR_SOCKET_BAD_PORT,
   *  ERR_INVALID_ARG_VALUE, ERR_SERVER_ALREADY_LISTEN, thrown) and its socket errors
   *  (EADDRINUSE, EADDRNOTAVAIL, as an 'error' event). */
  listen(options: ListenOptions, onListening?: () => void): this {
    if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
    if (options.port === undefined) throw invalidArgValue('options', 'must have the property "port" or "path"', options);
    const port = validatePort(options.port, 'options.port');
    if (this.#listener) throw nodeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (onListening) this.once('listening', onListening);
    const host = options.host;
    const wildcard6 = host === '::';
    try {
      this.#listener = this.#net.stack.listen({
        port: port === 0 ? this.#net.freePort(wildcard6 || (host?.includes(':') ?? false) ? 6 : 4) : port,
        address: host === undefined || host === '0.0.0.0' || wildcard6 ? undefined : host,
        family: wildcard6 ? 6 : 4,
        backlog: options.backlog,
        reuseAddress: options.reuseAddress ?? true,
      });
    } catch (err) {
      const e = err instanceof StackError ? systemError(err.code, 'listen', host ?? '0.0.0.0', port, err.message) : (err as Error);
      process.nextTick(() => this.emit('error', e));
      return this;
    }
    this.#net.registerServer(this);
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  address(): { address: string; family: string; port: number } | null {
    const l = this.#listener;
    if (!l) return null;
    const address = l.address === undefined ? (l.family === 4 ? '0.0.0.0' : '::') : formatIpAddress(l.address);
    return { address, family: l.family === 4 ? 'IPv4' : 'IPv6', port: l.port };
  }

  /** Stop taking connections off the accept queue: new ones wait there, and then overflow. */
  pauseAccepting(): this {
    this.#accepting = false;
    return this;
  }

  resumeAccepting(): this {
    this.#accepting = true;
    this.acceptWaiting();
    return this;
  }

  /** Connections waiting in the accept queue (ss's Recv-Q for LISTEN). */
  get acceptQueueLength(): number {
    return this.#listener?.acceptQueue.length ?? 0;
  }

  /** Stop listening; 'close' follows once every accepted connection has closed, as Node's.
   *  A server that is not listening emits 'close' too, and its callback gets
   *  ERR_SERVER_NOT_RUNNING. */
  close(onClose?: (err?: Error) => void): this {
    if (!this.#listener) {
      if (onClose) this.once('close', () => onClose(nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      if (!this.#closing) process.nextTick(() => this.emit('close'));
      return this;
    }
    if (onClose) this.once('close', onClose);
    this.#net.stack.tcp.unlisten(this.#listener, this.#net.now());
    this.#net.unregisterServer(this);
    this.#listener = undefined;
    this.#closing = true;
    this.#net.flush();
    this.maybeClosed();
    return this;
  }

  getConnections(callback: (err: Error | null, count: number) => void): void {
    process.nextTick(() => callback(null, this.#connections.size));
  }

  /** @internal The listener's accept queue has connections. */
  acceptWaiting(): void {
    const l = this.#listener;
    if (!l) return;
    while (this.#accepting && l.acceptQueue.length > 0) {
      const ep = this.#net.stack.tcp.accept(l);
      if (!ep) break;
      const socket = new Socket(this.#net, { allowHalfOpen: this.allowHalfOpen });
      socket.attach(ep);
      this.#connections.add(socket);
      socket.once('close', () => {
        this.#connections.delete(socket);
        this.maybeClosed();
      });
      this.emit('connection', socket);
    }
  }

  private maybeClosed(): void {
    if (this.#closing && this.#connections.size === 0) {
      this.#closing = false;
      process.nextTick(() => this.emit('close'));
    }
  }
}
